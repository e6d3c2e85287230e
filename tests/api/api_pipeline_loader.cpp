// CTest fixture `api_pipeline` (tests/api/CMakeLists.txt): fills the api test database through
// the real collector -> parser -> writer pipeline once per ctest run, then creates the admin.
#include <exception>
#include <iostream>

#include "api_test_env.h"

int main() {
  try {
    sipvault::apitest::loadPipeline();
    std::cout << "api test database " << sipvault::apitest::kDatabase << " loaded with "
              << sipvault::apitest::truth().size() << " SIP messages\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "api_pipeline_loader: " << e.what() << "\n";
    return 1;
  }
}

# sipvault-parser daemon (included from parser/CMakeLists.txt when not a fuzz build).
find_package(Poco REQUIRED COMPONENTS Foundation Util Net)
add_library(sipvault_parser_lib STATIC
  ${CMAKE_CURRENT_LIST_DIR}/parser_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parser_worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/record_builder.cpp)
target_link_libraries(sipvault_parser_lib PUBLIC sipvault_sip sipvault_common sipvault_wire)

add_executable(sipvault-parser ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(sipvault-parser PRIVATE sipvault_parser_lib)
install(TARGETS sipvault-parser RUNTIME DESTINATION bin)

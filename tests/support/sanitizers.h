#pragma once
// SIPVAULT_UNDER_ASAN: 1 in an AddressSanitizer build. Tests that replace the global operator new
// (to count allocations or live heap bytes) switch that off there: ASan's own operator new would be
// mixed with theirs.
#if defined(__SANITIZE_ADDRESS__)
#define SIPVAULT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIPVAULT_UNDER_ASAN 1
#endif
#endif
#ifndef SIPVAULT_UNDER_ASAN
#define SIPVAULT_UNDER_ASAN 0
#endif

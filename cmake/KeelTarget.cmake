# keel_warnings(target): the project's warning set; -Werror when KEEL_WERROR is on.
function(keel_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++ for ordinary string concatenation (GCC
  # bug 105329, a false positive); it stays a warning there so the release preset builds.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-error=restrict)
  endif()
  # GCC warns under TSan that it does not instrument std::atomic_thread_fence, which
  # moodycamel::ConcurrentQueue uses (LiveInputQueue); its fences pair with atomics TSan does
  # see, and the queue's tests run clean under TSan.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
    target_compile_options(${target} PRIVATE -Wno-tsan)
  endif()
  if(KEEL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# keel_library(name folder ...sources): one library per top-level folder, public headers in
# <folder>/include, namespace keel::<folder>.
function(keel_library name)
  add_library(${name} ${ARGN})
  add_library(keel::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  keel_warnings(${name})
endfunction()

# keel_hot_guard(target): links the hot-path allocation guard when KEEL_ALLOC_GUARD is on.
function(keel_hot_guard target)
  if(KEEL_ALLOC_GUARD)
    target_link_libraries(${target} PRIVATE keel_alloc_guard)
  endif()
endfunction()

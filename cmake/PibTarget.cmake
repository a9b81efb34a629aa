# Helpers shared by every folder's CMakeLists.txt. Flags are PRIVATE to pib's own targets; the only
# flags that travel to consumers are the sanitizer's link options, which every linked object needs.

# pib_target_defaults(<target>): C++20, warnings, sanitizer.
function(pib_target_defaults target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_compile_features(${target} INTERFACE cxx_std_20)
    return()
  endif()
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(PROJECT_IS_TOP_LEVEL)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
  endif()
  # pib never reads errno after a math call: without this, std::sqrt keeps an errno branch that stops loops
  # from vectorising.
  target_compile_options(${target} PRIVATE -fno-math-errno)
  if(PIB_ARCH)
    # The project's own build for a known machine (tools/quickstart.sh sets it when the CPU has AVX2):
    # applied to every pib target alike, never to consumers' code.
    target_compile_options(${target} PRIVATE -march=${PIB_ARCH})
  endif()
  if(PIB_SANITIZE STREQUAL "address")
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  elseif(PIB_SANITIZE STREQUAL "thread")
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PUBLIC -fsanitize=thread)
  elseif(NOT PIB_SANITIZE STREQUAL "")
    message(FATAL_ERROR "PIB_SANITIZE must be empty, 'address' or 'thread', not '${PIB_SANITIZE}'")
  endif()
endfunction()

# pib_add_library(<folder> SOURCES ... [DEPS ...]) creates pib_<folder> with the alias pib::<folder>.
# Headers are included as "folder/header.hpp" from the repository root.
function(pib_add_library folder)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  set(target pib_${folder})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(pib::${folder} ALIAS ${target})
  pib_target_defaults(${target})
endfunction()

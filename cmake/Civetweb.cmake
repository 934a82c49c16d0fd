# Civetweb is compiled into the daemon from Debian's source package, fetched at configure time
# into the build folder (never committed). Debian's binary libcivetweb is built against the
# OpenSSL 1.1 API and fails on the first HTTPS connection under OpenSSL 3.
set(ACDLINK_CIVETWEB_SOURCE_DIR "" CACHE PATH
    "An unpacked civetweb source tree; empty = fetch with 'apt-get source civetweb'")

if(ACDLINK_CIVETWEB_SOURCE_DIR STREQUAL "")
  set(_cw_cache "${CMAKE_BINARY_DIR}/_deps/civetweb")
  file(GLOB _cw_found "${_cw_cache}/civetweb-*/src/civetweb.c")
  if(NOT _cw_found)
    find_program(APT_GET apt-get)
    find_program(DPKG_SOURCE dpkg-source)
    if(NOT APT_GET OR NOT DPKG_SOURCE)
      message(FATAL_ERROR "civetweb source missing: install dpkg-dev and add a deb-src entry "
                          "(scripts/install-deps does both), or pass -DACDLINK_CIVETWEB_SOURCE_DIR=DIR")
    endif()
    file(MAKE_DIRECTORY "${_cw_cache}")
    message(STATUS "Fetching civetweb source with apt-get source civetweb")
    execute_process(COMMAND ${APT_GET} source -qq civetweb
                    WORKING_DIRECTORY "${_cw_cache}"
                    RESULT_VARIABLE _cw_rc OUTPUT_VARIABLE _cw_out ERROR_VARIABLE _cw_err)
    file(GLOB _cw_found "${_cw_cache}/civetweb-*/src/civetweb.c")
    if(NOT _cw_found)
      message(FATAL_ERROR "apt-get source civetweb failed (${_cw_rc}): ${_cw_err}\n"
                          "Hint: a deb-src entry is needed; run scripts/install-deps as root.")
    endif()
  endif()
  list(GET _cw_found 0 _cw_c)
  get_filename_component(_cw_src "${_cw_c}" DIRECTORY)
  get_filename_component(ACDLINK_CIVETWEB_DIR "${_cw_src}" DIRECTORY)
else()
  set(ACDLINK_CIVETWEB_DIR "${ACDLINK_CIVETWEB_SOURCE_DIR}")
endif()
message(STATUS "civetweb source: ${ACDLINK_CIVETWEB_DIR}")

add_library(civetweb STATIC "${ACDLINK_CIVETWEB_DIR}/src/civetweb.c")
target_include_directories(civetweb SYSTEM PUBLIC "${ACDLINK_CIVETWEB_DIR}/include")
# OpenSSL 3 API linked directly, IPv6 on; CGI, file-system features we never use, off.
target_compile_definitions(civetweb PRIVATE OPENSSL_API_3_0 NO_SSL_DL USE_IPV6 NO_CGI
                           NO_CACHING USE_SERVER_STATS)
target_compile_options(civetweb PRIVATE -w)
target_link_libraries(civetweb PUBLIC OpenSSL::SSL OpenSSL::Crypto Threads::Threads ${CMAKE_DL_LIBS})

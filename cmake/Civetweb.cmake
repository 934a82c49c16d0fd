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

# Our own hardening of civetweb's source, applied to a copy next to the original (so its
# #include "*.inl" still resolve). Each replacement must apply, so a new civetweb version that
# changed the code stops the build instead of silently losing the fix.
set(_cw_in "${ACDLINK_CIVETWEB_DIR}/src/civetweb.c")
set(_cw_out "${ACDLINK_CIVETWEB_DIR}/src/civetweb_acdlink.c")
file(READ "${_cw_in}" _cw_text)
# Replaces old by new in _cw_text, or stops the build naming what no longer applies.
function(_cw_patch what old new)
  string(FIND "${_cw_text}" "${old}" _pos)
  if(_pos EQUAL -1)
    message(FATAL_ERROR "civetweb source changed: the ${what} no longer applies")
  endif()
  string(REPLACE "${old}" "${new}" _text "${_cw_text}")
  set(_cw_text "${_text}" PARENT_SCOPE)
endfunction()
# 1. A Content-Length near INT64_MAX made the keep-alive arithmetic after the handler overflow
#    (signed overflow, found by the UBSan probe test): refuse lengths above 2^53.
set(_old "conn->content_len = strtoll(cl, &endptr, 10);\n\t\tif ((endptr == cl) || (conn->content_len < 0)) {")
set(_new "conn->content_len = strtoll(cl, &endptr, 10);\n\t\tif ((endptr == cl) || (conn->content_len < 0) || (conn->content_len > ((int64_t)1 << 53))) {")
_cw_patch("Content-Length hardening" "${_old}" "${_new}")
# 2. Before every request, even one our handler answers, civetweb looked for a .htpasswd file
#    in the document root (here "/", as none is set) and would have demanded its digest
#    authentication from every client if such a file appeared: one stat per request, and a
#    file outside acdlink's data deciding who may use the API. Our handler does all
#    authentication, so requests it handles skip that check.
set(_old "if (!check_authorization(conn, path)) {\n\t\t\tsend_authorization_request(conn, NULL);\n\n\t\t\t/* Callback handler will not be used anymore. Release it */")
set(_new "if (!is_callback_resource && !check_authorization(conn, path)) {\n\t\t\tsend_authorization_request(conn, NULL);\n\n\t\t\t/* Callback handler will not be used anymore. Release it */")
_cw_patch(".htpasswd check change" "${_old}" "${_new}")
# 3. With OpenSSL's read-ahead (server.c), one read() takes a whole TLS record, header and
#    body, instead of two; records already read but not yet decrypted are then not counted by
#    SSL_pending, so civetweb would wait on the socket for data it already holds: it also asks
#    SSL_has_pending before it polls.
set(_old "if ((ssl_pending = SSL_pending(conn->ssl)) > 0) {")
set(_new "if ((ssl_pending = SSL_pending(conn->ssl)) > 0 || SSL_has_pending(conn->ssl)) {")
_cw_patch("TLS read-ahead change" "${_old}" "${_new}")
set(_cw_old_out "")
if(EXISTS "${_cw_out}")
  file(READ "${_cw_out}" _cw_old_out)
endif()
if(NOT _cw_old_out STREQUAL _cw_text)
  file(WRITE "${_cw_out}" "${_cw_text}")
endif()
add_library(civetweb STATIC "${_cw_out}")
target_include_directories(civetweb SYSTEM PUBLIC "${ACDLINK_CIVETWEB_DIR}/include")
# OpenSSL 3 API linked directly, IPv6 on; CGI, file-system features we never use, off.
# ALTERNATIVE_QUEUE: an accepted connection goes to the idle worker of the lowest number, so
# the same few workers serve while the load is light. With the default queue every worker
# waits on one condition variable and is woken in turn, so over hours all http_threads (256)
# serve requests and each keeps what serving left it: its stack pages, its answer buffer and
# the allocator's per-thread cache, 50-200 KiB a worker (bench/realtime.sh: RSS rising for
# 10 minutes and more). When every worker is busy the accepted connection waits (the
# listening socket's backlog holds the next ones) instead of connection_queue.
target_compile_definitions(civetweb PRIVATE OPENSSL_API_3_0 NO_SSL_DL USE_IPV6 NO_CGI
                           NO_CACHING ALTERNATIVE_QUEUE)
target_compile_options(civetweb PRIVATE -w)
target_link_libraries(civetweb PUBLIC OpenSSL::SSL OpenSSL::Crypto Threads::Threads ${CMAKE_DL_LIBS})

# mingw64.cmake: CMake toolchain for the Windows x64 build (Debian's gcc-mingw-w64-x86-64).
# ACDLINK_W64_PREFIX (cache or environment) is the folder holding the cross-built OpenSSL,
# SQLite, jansson and the ICU headers (packaging/msi/deps.sh makes it).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(ACDLINK_MINGW x86_64-w64-mingw32)
# The posix thread model: winpthreads, which the daemon's pthread calls use anyway.
set(CMAKE_C_COMPILER ${ACDLINK_MINGW}-gcc-posix)
set(CMAKE_RC_COMPILER ${ACDLINK_MINGW}-windres)
set(CMAKE_DLLTOOL ${ACDLINK_MINGW}-dlltool)

if(NOT ACDLINK_W64_PREFIX AND DEFINED ENV{ACDLINK_W64_PREFIX})
  set(ACDLINK_W64_PREFIX "$ENV{ACDLINK_W64_PREFIX}")
endif()
if(NOT ACDLINK_W64_PREFIX)
  message(FATAL_ERROR "ACDLINK_W64_PREFIX is not set: run packaging/msi/build.sh, or pass "
                      "-DACDLINK_W64_PREFIX=<the folder packaging/msi/deps.sh filled>")
endif()
set(ACDLINK_W64_PREFIX "${ACDLINK_W64_PREFIX}" CACHE PATH "cross-built dependencies")
# try_compile projects see the same prefix
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ACDLINK_W64_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/${ACDLINK_MINGW} ${ACDLINK_W64_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must see only the cross-built .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "${ACDLINK_W64_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
set(OPENSSL_ROOT_DIR "${ACDLINK_W64_PREFIX}")
set(OPENSSL_USE_STATIC_LIBS ON)
# One self-contained .exe: no libgcc or libwinpthread DLLs beside it. The link line must also
# end in static mode, or the compiler driver's own -lpthread picks libwinpthread's DLL.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_LINK_SEARCH_START_STATIC ON)
set(CMAKE_LINK_SEARCH_END_STATIC ON)

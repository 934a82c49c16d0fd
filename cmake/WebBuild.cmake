# Builds the console with npm into OUTDIR. Run as: cmake -DWEB=... -DOUTDIR=... -P WebBuild.cmake
find_program(NPM npm)
if(NOT NPM)
  message(FATAL_ERROR "npm not found: the console is built with Node.js and npm (scripts/install-deps installs them)")
endif()
if(NOT EXISTS "${WEB}/node_modules/.package-lock.json"
   OR "${WEB}/package-lock.json" IS_NEWER_THAN "${WEB}/node_modules/.package-lock.json")
  execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY "${WEB}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "npm ci in ${WEB} failed (${_rc})")
  endif()
endif()
execute_process(COMMAND "${NPM}" run --silent build -- --outDir "${OUTDIR}" --emptyOutDir
                WORKING_DIRECTORY "${WEB}" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "console build (npm run build) failed (${_rc})")
endif()

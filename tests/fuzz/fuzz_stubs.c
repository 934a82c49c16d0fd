/* fuzz_stubs.c: an empty console table; the console's files are linked into the daemon binary
 * only, but http/assets.c (reached from the router) refers to them. */
#include "core/embedded.h"

const struct embedded_file web_files[] = {{0, 0, 0, 0, 0, 0}};
const size_t web_count = 0;

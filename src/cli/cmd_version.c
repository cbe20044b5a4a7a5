/*
 * cmd_version.c - `switchboard version`: the version and the libraries it was built with.
 *
 * Layer: cli.
 */
#include "cli/cli.h"

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <stdio.h>

int cmd_version(int argc, char **argv)
{
    printf("switchboard %s (sqlite %s, libmicrohttpd %s, jansson %s, %s)\n", SWITCHBOARD_VERSION,
           sqlite3_libversion(), MHD_get_version(), JANSSON_VERSION, OPENSSL_VERSION_TEXT);
    return 0;
}

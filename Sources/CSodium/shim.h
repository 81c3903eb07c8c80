#ifndef GRIDLEDGER_CSODIUM_SHIM_H
#define GRIDLEDGER_CSODIUM_SHIM_H
// libsodium from Debian's libsodium-dev; nothing vendored.
#include <sodium.h>
#endif

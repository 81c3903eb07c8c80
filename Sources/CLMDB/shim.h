#ifndef GRIDLEDGER_CLMDB_SHIM_H
#define GRIDLEDGER_CLMDB_SHIM_H
// LMDB from Debian's liblmdb-dev; nothing vendored.
#include <lmdb.h>
#endif

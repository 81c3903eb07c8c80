// SwiftPM needs a source file in a C target; the declaration in include/CFuzzDriver.h is all there is.
#include "CFuzzDriver.h"

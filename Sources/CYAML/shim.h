#ifndef WEFT_CYAML_SHIM_H
#define WEFT_CYAML_SHIM_H
// libyaml's parser API (Debian: libyaml-dev; at run time libyaml-0-2), for WeftYAML.
#include <yaml.h>
#endif

#include "core/kit/version.h"

namespace xbarsim::kit {

const char* version() { return XBARSIM_VERSION; }

}  // namespace xbarsim::kit

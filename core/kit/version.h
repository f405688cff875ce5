#pragma once
// The project's version (CMake's project(VERSION)), for --version and
// xbarsim.__version__.
namespace xbarsim::kit {

const char* version();

}  // namespace xbarsim::kit

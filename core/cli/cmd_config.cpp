// `xbarsim config check|defaults|schema` and `xbarsim presets`.
#include <fmt/format.h>

#include <iostream>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/accuracy.h"
#include "core/jobs/run.h"
#include "core/jobs/schema.h"
#include "core/jobs/tile_job.h"
#include "core/kit/error.h"
#include "core/tile/tile_spec.h"

namespace xbarsim::cli {

Action add_config_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand("config", "check a config, print defaults or the schema");
  cmd->require_subcommand(1);
  struct Opts {
    std::string file, component;
    std::vector<std::string> sets;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* check = cmd->add_subcommand(
      "check",
      "validate a config (tile; with a network, also the chip and the mapping); print it "
      "resolved");
  check->add_option("FILE", opts->file, "config file (JSON)")->required();
  check->add_option("--set", opts->sets, "override a key: path=value (repeatable)");
  auto* defaults = cmd->add_subcommand("defaults", "print the default tile config, resolved");
  auto* schema = cmd->add_subcommand(
      "schema", "document every component, variant and key (type, default, unit, doc)");
  schema->add_option("COMPONENT", opts->component, "only this component (e.g. device)");
  schema->add_flag("--json", opts->json, "print the schema as JSON");

  return [=, &registry]() {
    if (check->parsed()) {
      std::vector<std::string> warnings;
      const kit::Json resolved =
          jobs::check_config(load_config(opts->file, opts->sets, registry), registry, &warnings);
      print_warnings(warnings);
      write_json("-", resolved);
      return 0;
    }
    if (defaults->parsed()) {
      write_json("-", tile::TileSpec::parse(kit::Json::object(), registry).to_json());
      return 0;
    }
    kit::Json all = jobs::full_schema(registry);
    if (!opts->component.empty()) {
      if (!all.contains(opts->component)) {
        throw kit::InputError("config schema: no component '" + opts->component + "'");
      }
      all = {{opts->component, all.at(opts->component)}};
    }
    if (opts->json) {
      write_json("-", all);
      return 0;
    }
    for (const auto& [key, comp] : all.items()) {
      fmt::print("{} — {}\n", key, comp.at("doc").get<std::string>());
      if (comp.contains("presets")) {
        fmt::print("  presets: {}\n",
                   fmt::join(comp.at("presets").get<std::vector<std::string>>(), ", "));
      }
      for (const auto& [impl, v] : comp.at("variants").items()) {
        if (impl.front() == '(' && impl != "(single)") {
          fmt::print("  {}:\n", impl);  // a kind of config, not an "impl" value
        } else if (impl != "(single)") {
          fmt::print("  impl \"{}\"{}: {}\n", impl,
                     comp.value("default_impl", "") == impl ? " (default)" : "",
                     v.at("doc").get<std::string>());
        }
        for (const auto& p : v.at("params")) {
          std::string unit = p.at("unit").get<std::string>();
          std::string allowed;  // choices, or the range, as the config check enforces them
          if (p.contains("choices")) {
            allowed = fmt::format(" (one of {})",
                                  fmt::join(p.at("choices").get<std::vector<std::string>>(), ", "));
          } else if (p.contains("min") || p.contains("max")) {
            const bool integer = p.at("type") == "integer";
            const auto bound = [integer](const kit::Json& b) {
              return integer ? fmt::format("{}", b.get<long long>())
                             : fmt::format("{:g}", b.get<double>());
            };
            allowed =
                fmt::format(" (range {}{} .. {}])", p.value("min_exclusive", false) ? "(" : "[",
                            p.contains("min") ? bound(p.at("min")) : "-inf",
                            p.contains("max") ? bound(p.at("max")) : "inf");
          }
          fmt::print("    {:<22} {:<15} default {:<14} {}{}{}\n", p.at("name").get<std::string>(),
                     p.at("type").get<std::string>(),
                     p.at("default").is_null() ? "(required)" : p.at("default").dump(),
                     unit.empty() ? "" : "[" + unit + "] ", p.at("doc").get<std::string>(),
                     allowed);
        }
      }
    }
    return 0;
  };
}

Action add_presets_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "presets",
      "list the device presets (device) and the update-law presets (in_situ.update) with their "
      "sources, or show one");
  auto name = std::make_shared<std::string>();
  cmd->add_option("NAME", *name, "show this preset in full");
  return [=, &registry]() {
    const auto devices = registry.presets("device"), updates = registry.presets("update");
    if (!name->empty()) {
      for (const auto* all : {&devices, &updates}) {
        if (const auto it = all->find(*name); it != all->end()) {
          write_json("-", it->second);
          return 0;
        }
      }
      std::vector<std::string> names;
      for (const auto* all : {&devices, &updates}) {
        for (const auto& [n, p] : *all) names.push_back(n);
      }
      throw kit::InputError(fmt::format("presets: no preset \"{}\"; {}available: {}", *name,
                                        kit::did_you_mean(*name, names), fmt::join(names, ", ")));
    }
    for (const auto& [title, all] :
         {std::pair{"device presets (device):", &devices},
          std::pair{"update-law presets (in_situ.update, in-situ training):", &updates}}) {
      fmt::print("{}\n", title);
      for (const auto& [n, p] : *all) {
        fmt::print("  {:<22} impl {:<13} {}\n", n, p.value("impl", std::string("?")),
                   p.value("source", std::string("(no source)")));
      }
    }
    return 0;
  };
}

}  // namespace xbarsim::cli

// `xbarsim sweep`: a grid/zip/random sweep of the main job, one CSV row per
// point appended durably (group commit), resumable, in parallel.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/cli/commands.h"
#include "core/cli/common.h"
#include "core/jobs/config_paths.h"
#include "core/kit/error.h"
#include "core/kit/json.h"
#include "core/sweep/sweep.h"

#ifdef XBARSIM_HAVE_MPI
#include <mpi.h>

#include "core/sweep/sweep_mpi.h"
#endif

namespace xbarsim::cli {

Action add_sweep_command(CLI::App& app, const kit::Registry& registry) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run the main job at every point of SWEEP.json: a \"base\" config (path or object),\n"
      "\"grid\" {path: [values]} (all combinations), \"zip\" {path: [values]} (lock step),\n"
      "\"random\" {\"n\", \"seed\", \"params\": {path: {\"uniform\"|\"log_uniform\"|\"int\": [lo, "
      "hi]"
      " | \"choice\": [...]}}}\n"
      "and \"metrics\" [report paths, e.g. ppa.totals.tops_per_w]. Every point is checked before\n"
      "the first runs. Each finished point is one CSV row (parameters, metrics, status, error),\n"
      "flushed to disk (after its --jsonl report) in groups, one fsync per --group-commit\n"
      "seconds of finished points, so a kill loses at most that; --resume skips the points\n"
      "already in the file (keyed by point index and config hash) after trimming both files\n"
      "to the points complete in both. One sweep writes a table at a time (locked).\n"
      "--keep-going records invalid points as rows (status \"invalid\") instead of refusing\n"
      "the sweep. Under `mpirun -n K xbarsim sweep ...` rank 0 hands out points and writes;\n"
      "ranks 1..K-1 run them.");
  struct Opts {
    std::string spec, output = "sweep.csv", jsonl;
    bool resume = false, keep_going = false;
    int jobs = 1;
    double group_commit_s = sweep::SweepOptions{}.group_commit_s;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("SWEEP", o->spec, "sweep spec (JSON)")->required();
  cmd->add_option("--output,-o", o->output, "results table (CSV)");
  cmd->add_option("--jsonl", o->jsonl, "also append every point's full report (JSON lines)");
  cmd->add_flag("--resume", o->resume, "continue the table in --output, skipping finished points");
  cmd->add_flag("--keep-going", o->keep_going,
                "record a point whose config is invalid as a row (status \"invalid\") and go on");
  cmd->add_option("-j,--jobs", o->jobs, "points run at once (threads)")->check(CLI::Range(1, 1024));
  cmd->add_option("--group-commit", o->group_commit_s,
                  "seconds of finished points written and fsync'ed together (0 = each point "
                  "alone); a kill loses at most the points of the last group")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  return [o, &registry]() {
    const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");  // set by mpirun
    const bool mpi = world != nullptr && std::atoi(world) > 1;
    sweep::SweepSpec spec;
    try {
      const kit::Json spec_json = kit::load_json_file(o->spec);
      spec = sweep::SweepSpec::parse(spec_json, jobs::config_dir(o->spec), registry, o->keep_going,
                                     o->jobs);
    } catch (const std::exception& e) {
      // Under mpirun every rank reads the same spec and fails alike: rank 0 says why.
      const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
      if (mpi && rank != nullptr && std::atoi(rank) != 0) return kit::exit_code_for(e);
      throw;
    }
    sweep::SweepOptions opts;
    opts.csv = o->output;
    opts.jsonl = o->jsonl;
    opts.resume = o->resume;
    opts.threads = o->jobs;
    opts.progress = ::isatty(2) != 0;
    opts.keep_going = o->keep_going;
    opts.group_commit_s = o->group_commit_s;
    std::vector<sweep::SweepRow> rows;
    if (mpi) {
#ifdef XBARSIM_HAVE_MPI
      MPI_Init(nullptr, nullptr);
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      opts.progress = opts.progress && rank == 0;
      try {
        rows = sweep::run_sweep_mpi(spec, opts, registry);
      } catch (const std::exception& e) {
        // The other ranks would wait for this one forever: say why in one
        // line, then take them down (mpirun adds its own lines about it).
        std::fprintf(stderr, "xbarsim: error: %s\n", one_line(e.what()).c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, kit::exit_code_for(e));
      }
      MPI_Finalize();
      if (rank != 0) return 0;
#else
      throw kit::InputError(
          "sweep: started by mpirun, but this xbarsim was built without MPI "
          "(install libopenmpi-dev and rebuild)");
#endif
    } else {
      rows = sweep::run_sweep(spec, opts, registry);
    }
    std::size_t failed = 0;
    for (const auto& r : rows) failed += r.status == "ok" ? 0u : 1u;
    fmt::print("sweep: {} points: {} run now ({} failed), {} already done; results in {}\n",
               spec.points.size(), rows.size(), failed, spec.points.size() - rows.size(),
               o->output);
    return 0;
  };
}

}  // namespace xbarsim::cli

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include "core/jobs/registry_setup.h"
#include "core/jobs/run.h"
#include "core/kit/error.h"
#include "core/kit/io.h"
#include "core/sweep/sweep.h"

using namespace xbarsim;
using kit::Json;

namespace {

const Json kBase = {{"array", {{"rows", 16}, {"cols", 8}}}};
// A tile-demo point of a few milliseconds.
const Json kTiny = {{"array", {{"rows", 8}, {"cols", 8}}},
                    {"evaluation", {{"batch", 4}, {"trials", 1}, {"times_s", {0}}}}};

// A fresh, empty folder for one test's files.
std::string temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() /
                 ("xbarsim_test_sweep_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines,
                 const std::string& tail = "") {
  std::ofstream f(path, std::ios::trunc);
  for (const auto& l : lines) f << l << "\n";
  f << tail;
}

// Point index of every data row of a table, in file order.
std::vector<std::size_t> table_points(const std::string& csv) {
  const auto lines = lines_of(csv);
  std::vector<std::size_t> out;
  for (std::size_t k = 1; k < lines.size(); ++k) {
    out.push_back(std::stoull(lines[k].substr(0, lines[k].find(','))));
  }
  return out;
}

// Point index of every report line (each must be whole JSON).
std::vector<std::size_t> report_points(const std::string& jsonl) {
  std::vector<std::size_t> out;
  for (const auto& l : lines_of(jsonl))
    out.push_back(Json::parse(l).at("point").get<std::size_t>());
  return out;
}

std::vector<std::size_t> sorted(std::vector<std::size_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::size_t> iota(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t k = 0; k < n; ++k) v[k] = k;
  return v;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("sweep points are grid x zip x random, in that nesting order", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const Json spec = {{"base", kBase},
                     {"grid", {{"adc.bits", {4, 6}}, {"dac.bits", {2, 3, 4}}}},
                     {"zip", {{"array.rows", {8, 12}}, {"array.cols", {4, 6}}}},
                     {"random",
                      {{"n", 3},
                       {"seed", 9},
                       {"params",
                        {{"chip.input_activity", {{"uniform", {0.2, 0.4}}}},
                         {"adc.share_columns", {{"int", {1, 4}}}},
                         {"device.preset", {{"choice", {"rram_wan", "pcm_ibm"}}}}}}}},
                     {"metrics", {"vmm.0.rel_rms_error.mean"}}};
  Json with_impl = spec;
  with_impl["base"]["adc"] = {{"impl", "sar"}};
  with_impl["base"]["dac"] = {{"impl", "bit_serial"}};
  const auto s = sweep::SweepSpec::parse(with_impl, "", reg);
  REQUIRE(s.points.size() == 2 * 3 * 2 * 3);
  CHECK(s.params == std::vector<std::string>{"adc.bits", "dac.bits", "array.rows", "array.cols",
                                             "chip.input_activity", "adc.share_columns",
                                             "device.preset"});
  // The first grid key varies slowest, random samples fastest.
  CHECK(s.points[0].values[0] == 4);
  CHECK(s.points.back().values[0] == 6);
  CHECK(s.points[0].values[1] == 2);
  CHECK(s.points[3].values[2] == 12);  // second zip row after the three random samples
  CHECK(s.points[3].values[3] == 6);
  std::set<std::string> hashes;
  for (const auto& p : s.points) {
    const double a = p.values[4].get<double>();
    CHECK(a >= 0.2);
    CHECK(a <= 0.4);
    const auto k = p.values[5].get<long long>();
    CHECK(k >= 1);
    CHECK(k <= 4);
    CHECK(p.config.at("adc").at("bits") == p.values[0]);
    hashes.insert(p.hash);
  }
  // Random samples repeat across grid points (same seed), configs differ.
  CHECK(s.points[0].values[4] == s.points[6].values[4]);
  CHECK(hashes.size() == s.points.size());
  // The same spec expands to the same points and hashes.
  const auto again = sweep::SweepSpec::parse(with_impl, "", reg);
  CHECK(again.points[17].hash == s.points[17].hash);
  CHECK(again.points[17].values == s.points[17].values);
}

TEST_CASE("sweep specs are checked before anything runs", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  auto error_of = [&](const Json& spec) {
    try {
      sweep::SweepSpec::parse(spec, "", reg);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of({{"base", kBase}, {"zip", {{"adc.bits", {4, 6}}, {"dac.bits", {2}}}}}),
             Catch::Contains("zip.dac.bits") && Catch::Contains("equally long"));
  CHECK_THAT(error_of({{"base", kBase}, {"gird", {{"adc.bits", {4}}}}}),
             Catch::Contains("gird") && Catch::Contains("\"grid\""));
  CHECK_THAT(error_of({{"base", kBase}, {"grid", {{"adc.impl", {"sar"}}, {"adc.bits", {6, 99}}}}}),
             Catch::Contains("sweep point 1") && Catch::Contains("adc.bits=99") &&
                 Catch::Contains("config adc.bits"));
  CHECK_THAT(error_of({{"base", kBase}, {"grid", {{"adc.bits", Json::array()}}}}),
             Catch::Contains("grid.adc.bits"));
  CHECK_THAT(error_of({{"base", kBase},
                       {"random", {{"n", 2}, {"params", {{"seed", {{"normal", {0, 1}}}}}}}}}),
             Catch::Contains("random.params.seed.normal"));
  CHECK_THAT(error_of({{"base", 3}}), Catch::Contains("sweep base"));
}

TEST_CASE("report values by dotted path", "[arch][sweep]") {
  const Json r = {{"vmm", {{{"err", 0.5}}, {{"err", 0.25}}}}, {"a", {{"b", 3}}}};
  CHECK(sweep::report_value(r, "vmm.1.err") == 0.25);
  CHECK(sweep::report_value(r, "a.b") == 3);
  CHECK(sweep::report_value(r, "a.c").is_null());
  CHECK(sweep::report_value(r, "vmm.7.err").is_null());
}

TEST_CASE("equal configs are separate points: a resume keeps every twin", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("twins");
  // Duplicate grid values, and random int draws that repeat.
  const Json grid = {{"base", kTiny}, {"grid", {{"seed", {1, 1, 2, 2}}}}};
  const Json draws = {{"int", {1, 2}}};
  const Json random = {{"base", kTiny},
                       {"random", {{"n", 6}, {"seed", 5}, {"params", {{"seed", draws}}}}}};
  for (const Json& spec : {grid, random}) {
    const auto s = sweep::SweepSpec::parse(spec, "", reg);
    std::set<std::string> hashes;
    for (const auto& p : s.points) hashes.insert(p.hash);
    REQUIRE(hashes.size() < s.points.size());  // some points share their config
    sweep::SweepOptions opts;
    opts.csv = dir + "/r.csv";
    opts.jsonl = dir + "/r.jsonl";
    std::filesystem::remove(opts.csv);
    std::filesystem::remove(opts.jsonl);
    REQUIRE(sweep::run_sweep(s, opts, reg).size() == s.points.size());
    // Killed after two points: the first two rows and reports survive.
    const auto rows = lines_of(opts.csv), reports = lines_of(opts.jsonl);
    write_lines(opts.csv, {rows[0], rows[1], rows[2]});
    write_lines(opts.jsonl, {reports[0], reports[1]});
    opts.resume = true;
    CHECK(sweep::run_sweep(s, opts, reg).size() == s.points.size() - 2);
    CHECK(sorted(table_points(opts.csv)) == iota(s.points.size()));
    CHECK(sorted(report_points(opts.jsonl)) == iota(s.points.size()));
    CHECK(lines_of(opts.csv) == rows);  // the same bytes as the uninterrupted run
    CHECK(sweep::run_sweep(s, opts, reg).empty());
  }
}

TEST_CASE("a table whose points hold other configs is another sweep's", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("edited");
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  sweep::run_sweep(
      sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1, 2}}}}}, "", reg), opts, reg);
  opts.resume = true;
  // The same configs in another order: every config is in the table, but not
  // at its point.
  const auto swapped =
      sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {2, 1}}}}}, "", reg);
  CHECK_THAT(error_of([&] { sweep::run_sweep(swapped, opts, reg); }),
             Catch::Contains("r.csv' is another sweep's") && Catch::Contains("point 0") &&
                 Catch::Contains("choose another -o"));
  const auto fewer = sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1}}}}}, "", reg);
  CHECK_THAT(error_of([&] { sweep::run_sweep(fewer, opts, reg); }),
             Catch::Contains("holds point 1, this sweep has 1 points"));
  // An extended spec whose old points keep their index continues the table.
  const auto more =
      sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1, 2, 3}}}}}, "", reg);
  CHECK(sweep::run_sweep(more, opts, reg).size() == 1);
  CHECK(table_points(opts.csv) == iota(3));
}

namespace {

// Four tiny tile points, and options writing r.csv and r.jsonl in dir.
sweep::SweepSpec four_seeds(const kit::Registry& reg) {
  return sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1, 2, 3, 4}}}}}, "", reg);
}

sweep::SweepOptions table_and_reports(const std::string& dir) {
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  opts.jsonl = dir + "/r.jsonl";
  return opts;
}

}  // namespace

TEST_CASE("reports and rows recover together after a kill", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const auto s = four_seeds(reg);
  sweep::SweepOptions opts = table_and_reports(temp_dir("jsonl"));
  sweep::run_sweep(s, opts, reg);
  const auto rows = lines_of(opts.csv), reports = lines_of(opts.jsonl);
  REQUIRE(rows.size() == 5);
  REQUIRE(reports.size() == 4);
  opts.resume = true;
  auto resume_runs = [&](const std::vector<std::size_t>& expect) {
    std::vector<std::size_t> ran;
    for (const auto& r : sweep::run_sweep(s, opts, reg)) ran.push_back(r.index);
    CHECK(ran == expect);
    CHECK(sorted(table_points(opts.csv)) == iota(4));
    CHECK(sorted(report_points(opts.jsonl)) == iota(4));  // every line whole JSON, each once
  };
  SECTION("killed between a report and its row: the report is dropped, the point runs again") {
    write_lines(opts.csv, {rows[0], rows[1], rows[2], rows[3]});
    resume_runs({3});
    CHECK(lines_of(opts.jsonl) == reports);
  }
  SECTION("killed inside a report: the cut line is trimmed") {
    write_lines(opts.csv, {rows[0], rows[1], rows[2], rows[3]});
    write_lines(opts.jsonl, {reports[0], reports[1], reports[2]}, reports[3].substr(0, 40));
    resume_runs({3});
  }
  SECTION("a row without its report (older order, or a run without --jsonl) runs again") {
    write_lines(opts.jsonl, {reports[0], reports[2], reports[3]});
    resume_runs({1});
    CHECK(table_points(opts.csv) == std::vector<std::size_t>{0, 2, 3, 1});
  }
  SECTION("a point twice in both files (older unlocked writers) is kept once") {
    write_lines(opts.csv, {rows[0], rows[1], rows[2], rows[1], rows[3], rows[4], rows[4]});
    write_lines(opts.jsonl, {reports[0], reports[0], reports[1], reports[2], reports[3]});
    resume_runs({});
    CHECK(lines_of(opts.csv) == rows);
    CHECK(lines_of(opts.jsonl) == reports);
  }
  SECTION("without --jsonl a resume reads and leaves the reports alone") {
    const std::string jsonl = opts.jsonl;
    write_lines(jsonl, {reports[0]});
    opts.jsonl.clear();
    CHECK(sweep::run_sweep(s, opts, reg).empty());
    CHECK(lines_of(jsonl) == std::vector<std::string>{reports[0]});
  }
  SECTION("a report file of another sweep is refused") {
    write_lines(opts.jsonl, {"{\"point\": 0, \"hash\": \"0000000000000000\", \"report\": {}}"});
    CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }),
               Catch::Contains("r.jsonl' is another sweep's") &&
                   Catch::Contains("choose another --jsonl"));
    write_lines(opts.jsonl, {"not json"});
    CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }),
               Catch::Contains("line 1 is not a sweep report"));
  }
}

TEST_CASE("finished points reach the disk in groups, reports before rows", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const auto s = four_seeds(reg);
  sweep::SweepOptions opts = table_and_reports(temp_dir("group"));
  opts.group_commit_s = 3600;  // one group: the commits are the explicit and the last one
  std::vector<sweep::SweepRow> rows;
  std::vector<Json> reports;
  for (const auto& p : s.points) {
    Json report;
    rows.push_back(sweep::run_point(s, p, reg, &report));
    reports.push_back(report);
  }
  std::vector<std::string> on_disk_rows, on_disk_reports;
  {
    sweep::SweepTable table(s, opts);
    table.append(rows[0], reports[0], false, 4);
    table.append(rows[1], reports[1], false, 4);
    // Within one group nothing but the header is on disk: a kill now loses
    // the two points, and a resume runs them again.
    on_disk_rows = lines_of(opts.csv);
    on_disk_reports = lines_of(opts.jsonl);
    table.commit();
    CHECK(table_points(opts.csv) == iota(2));
    CHECK(report_points(opts.jsonl) == iota(2));
    table.append(rows[2], reports[2], false, 4);
    table.append(rows[3], reports[3], false, 4);  // the last point commits its group
    CHECK(table_points(opts.csv) == iota(4));
    CHECK(report_points(opts.jsonl) == iota(4));
  }
  CHECK(on_disk_rows.size() == 1);  // the header
  CHECK(on_disk_reports.empty());
  write_lines(opts.csv, on_disk_rows);
  write_lines(opts.jsonl, on_disk_reports);
  opts.resume = true;
  CHECK(sweep::run_sweep(s, opts, reg).size() == 4);
  CHECK(sorted(table_points(opts.csv)) == iota(4));
  SECTION("an early exit commits what has finished") {
    opts.resume = false;
    std::filesystem::remove(opts.csv);
    std::filesystem::remove(opts.jsonl);
    {
      sweep::SweepTable table(s, opts);
      table.append(rows[0], reports[0], false, 4);
    }
    CHECK(table_points(opts.csv) == iota(1));
    CHECK(report_points(opts.jsonl) == iota(1));
  }
}

TEST_CASE("a sweep checks its points the same on any thread count", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const Json spec = {{"base", kTiny}, {"grid", {{"seed", {1, 2, 3}}, {"array.rows", {8, -1, 16}}}}};
  const auto one = sweep::SweepSpec::parse(spec, "", reg, true, 1);
  const auto two = sweep::SweepSpec::parse(spec, "", reg, true, 2);
  REQUIRE(one.points.size() == 9);
  REQUIRE(two.points.size() == 9);
  for (std::size_t k = 0; k < 9; ++k) {
    CHECK(one.points[k].hash == two.points[k].hash);
    CHECK(one.points[k].invalid == two.points[k].invalid);
  }
  CHECK_THAT(one.points[1].invalid, Catch::Contains("array.rows"));
  // Without keep_going the first invalid point in point order is the error.
  CHECK_THAT(error_of([&] { sweep::SweepSpec::parse(spec, "", reg, false, 2); }),
             Catch::Contains("sweep point 1 (seed=1, array.rows=-1)"));
}

TEST_CASE("a table row may hold line breaks in quoted fields", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("quoted");
  const auto s = sweep::SweepSpec::parse(
      {{"base", kTiny}, {"grid", {{"name", {"two\nlines, \"quoted\"", "one"}}}}}, "", reg);
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  sweep::run_sweep(s, opts, reg);
  const auto lines = lines_of(opts.csv);
  REQUIRE(lines.size() == 4);  // the first row spans two lines
  opts.resume = true;
  CHECK(sweep::run_sweep(s, opts, reg).empty());
  // A kill inside that row leaves an open quote: the row is dropped and runs again.
  write_lines(opts.csv, {lines[0], lines[1]});
  CHECK(sweep::run_sweep(s, opts, reg).size() == 2);
  CHECK(lines_of(opts.csv) == lines);
}

TEST_CASE("a table is written by one sweep at a time", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("lock");
  const auto s = sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1, 2}}}}}, "", reg);
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  opts.jsonl = dir + "/r.jsonl";
  sweep::SweepOptions again = opts;
  again.resume = true;
  {
    sweep::SweepTable first(s, opts);
    CHECK(error_of([&] { sweep::SweepTable second(s, again); }) ==
          "sweep: another xbarsim sweep is writing " + opts.csv);
    CHECK_THROWS_AS(sweep::run_sweep(s, again, reg), kit::InputError);
    // Another table, the same reports file: refused too.
    sweep::SweepOptions other = again;
    other.csv = dir + "/other.csv";
    CHECK(error_of([&] { sweep::SweepTable second(s, other); }) ==
          "sweep: another xbarsim sweep is writing " + opts.jsonl);
  }
  // Released with the table; a resume that rewrites the files locks them anew.
  CHECK(sweep::run_sweep(s, again, reg).size() == 2);
  write_lines(opts.jsonl, {lines_of(opts.jsonl)[0]});
  sweep::SweepTable rewritten(s, again);
  CHECK(rewritten.pending(s) == std::vector<std::size_t>{1});
  CHECK(error_of([&] { sweep::SweepTable second(s, again); }) ==
        "sweep: another xbarsim sweep is writing " + opts.csv);
}

TEST_CASE("sweep output paths are checked before any file is created", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("paths");
  const auto s = sweep::SweepSpec::parse({{"base", kTiny}, {"grid", {{"seed", {1}}}}}, "", reg);
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  opts.jsonl = dir + "/missing/r.jsonl";
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }),
             Catch::Contains("sweep --jsonl '" + opts.jsonl + "'") &&
                 Catch::Contains("cannot be written"));
  CHECK_FALSE(std::filesystem::exists(opts.csv));  // nothing left to block the next run
  opts.jsonl = opts.csv;
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }), Catch::Contains("the same file"));
  opts.jsonl = dir;
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }), Catch::Contains("is a directory"));
  opts.jsonl = "-";
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }), Catch::Contains("'-' (stdout)"));
  CHECK_FALSE(std::filesystem::exists(opts.csv));
  // A fresh run refuses existing reports as it refuses existing rows...
  opts.jsonl = dir + "/r.jsonl";
  write_lines(opts.jsonl, {"{}"});
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }),
             Catch::Contains("already has reports") && Catch::Contains("--resume"));
  CHECK_FALSE(std::filesystem::exists(opts.csv));
  // ...but a table killed before its first row holds nothing and does not block.
  std::filesystem::remove(opts.jsonl);
  std::string header;
  for (const auto& h : s.csv_header()) header += (header.empty() ? "" : ",") + h;
  write_lines(opts.csv, {header});
  CHECK(sweep::run_sweep(s, opts, reg).size() == 1);
  CHECK(table_points(opts.csv) == iota(1));
}

TEST_CASE("sweep metrics are checked against the reports the job writes", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  auto parse_error = [&](const Json& spec) {
    return error_of([&] { sweep::SweepSpec::parse(spec, "", reg); });
  };
  // A tile demo has no PPA totals; an architecture job without "evaluation"
  // no accuracy.
  CHECK_THAT(parse_error({{"base", kTiny}, {"metrics", {"vmm.0.t_s", "ppa.totals.tops_per_w"}}}),
             Catch::Contains("sweep metrics") && Catch::Contains("\"ppa.totals.tops_per_w\"") &&
                 Catch::Contains("tile demos") && Catch::Contains("job, config, shape") &&
                 Catch::Contains("per_vmm"));
  const Json net = {{"network", "lenet5"}, {"chip", {{"tiles", 256}}}};
  CHECK_THAT(parse_error({{"base", net}, {"metrics", {"accuracy.float"}}}),
             Catch::Contains("\"accuracy.float\"") && Catch::Contains("network jobs") &&
                 Catch::Contains("job, config, ppa, warnings"));
  // (The evaluation's digits are checked with the config: give their paths.)
  const std::string d = std::string(XBARSIM_SOURCE_DIR) + "/data/mnist/";
  const Json eval = {{"test_samples", 10},
                     {"dataset",
                      {{"train_images", d + "train-images-idx3-ubyte"},
                       {"train_labels", d + "train-labels-idx1-ubyte"},
                       {"test_images", d + "t10k-images-idx3-ubyte"},
                       {"test_labels", d + "t10k-labels-idx1-ubyte"}}}};
  CHECK(parse_error({{"base", net},
                     {"grid", {{"evaluation", {nullptr, eval}}}},
                     {"metrics", {"accuracy.float"}}})
            .empty());  // in some reports of the sweep: those points fill it
  // A path below a valid key that the report lacks fails the point.
  const auto s = sweep::SweepSpec::parse(
      {{"base", kTiny}, {"metrics", {"vmm.0.t_s", "vmm.1.t_s", "per_vmm.nope"}}}, "", reg);
  const auto row = sweep::run_point(s, s.points[0], reg);
  CHECK(row.status == "failed");
  CHECK(row.error == "metrics vmm.1.t_s, per_vmm.nope are not in the report");
  CHECK(row.metrics[0] == 0);
  // report_keys names the top-level keys run_job writes, in order.
  const Json measured = {
      {"network", "lenet5"}, {"chip", {{"tiles", 256}}}, {"measured", {{"tops_per_w", 10}}}};
  for (const Json& config : {kTiny, measured}) {
    const Json report = jobs::run_job(config, reg);
    std::vector<std::string> keys;
    for (auto it = report.begin(); it != report.end(); ++it) keys.push_back(it.key());
    CHECK(keys == sweep::report_keys(config));
  }
}

TEST_CASE("with keep_going, invalid points are recorded as rows", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const std::string dir = temp_dir("keep_going");
  const Json spec = {{"base", kTiny}, {"grid", {{"adc.impl", {"sar"}}, {"adc.bits", {6, 99, 8}}}}};
  const auto s = sweep::SweepSpec::parse(spec, "", reg, /*keep_going=*/true);
  REQUIRE(s.points.size() == 3);
  CHECK(s.points[0].invalid.empty());
  CHECK_THAT(s.points[1].invalid,
             Catch::StartsWith("sweep point 1 (adc.impl=sar, adc.bits=99): config adc.bits"));
  sweep::SweepOptions opts;
  opts.csv = dir + "/r.csv";
  // The default: refused before any work, nothing written.
  CHECK_THAT(error_of([&] { sweep::run_sweep(s, opts, reg); }), Catch::Contains("sweep point 1"));
  CHECK_FALSE(std::filesystem::exists(opts.csv));
  opts.keep_going = true;
  const auto rows = sweep::run_sweep(s, opts, reg);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].status == "ok");
  CHECK(rows[1].status == "invalid");
  CHECK(rows[1].error == s.points[1].invalid);
  CHECK(rows[1].metrics == std::vector<Json>(s.metrics.size(), nullptr));
  CHECK(rows[2].status == "ok");
  CHECK_THAT(lines_of(opts.csv)[2], Catch::Contains(",invalid,") && Catch::Contains("99"));
  // The invalid row counts as done on resume; its key is stable.
  opts.resume = true;
  CHECK(sweep::run_sweep(sweep::SweepSpec::parse(spec, "", reg, true), opts, reg).empty());
}

TEST_CASE("random ranges are finite and so is every sample", "[arch][sweep]") {
  const auto reg = jobs::make_registry();
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto random_error = [&](const std::string& path, const Json& dist) {
    const Json spec = {{"base", kTiny}, {"random", {{"n", 4}, {"params", {{path, dist}}}}}};
    return error_of([&] { sweep::SweepSpec::parse(spec, "", reg); });
  };
  const std::string activity = "sweep random.params.chip.input_activity";
  for (const Json& bounds : {Json{0.1, inf}, Json{nan, 0.5}, Json{0.1, nan}, Json{-inf, inf}}) {
    CHECK_THAT(random_error("chip.input_activity", {{"uniform", bounds}}),
               Catch::Contains(activity + ".uniform") && Catch::Contains("finite"));
  }
  CHECK_THAT(random_error("chip.input_activity", {{"log_uniform", {0.1, inf}}}),
             Catch::Contains(activity + ".log_uniform") && Catch::Contains("finite"));
  // int bounds must be whole numbers a double holds exactly (the cast would be undefined).
  CHECK_THAT(random_error("seed", {{"int", {0, 1e300}}}),
             Catch::Contains("random.params.seed.int") && Catch::Contains("2^53"));
  CHECK_THAT(random_error("seed", {{"int", {0.5, 3}}}), Catch::Contains("whole-number"));
  CHECK_THAT(random_error("seed", {{"int", {1, inf}}}), Catch::Contains("finite"));
  // A range wider than the largest double: hi - lo overflows, the samples must not.
  const double big = 1.5e308;
  const Json spec = {{"base", kTiny},
                     {"random",
                      {{"n", 16},
                       {"params",
                        {{"measured.x", {{"uniform", {-big, big}}}},
                         {"seed", {{"int", {-0.0, 9007199254740992.0}}}}}}}}};
  const auto s = sweep::SweepSpec::parse(spec, "", reg);
  for (const auto& p : s.points) {
    const double x = p.values[0].get<double>();
    CHECK(std::isfinite(x));
    CHECK(x >= -big);
    CHECK(x <= big);
    CHECK(p.values[1].get<long long>() >= 0);
    CHECK(p.values[1].get<long long>() <= 9007199254740992LL);
  }
}

TEST_CASE("rows keep their non-finite metrics through the MPI transport", "[arch][sweep]") {
  sweep::SweepRow row;
  row.index = 3;
  row.seed = 7;
  row.hash = "0123456789abcdef";
  row.status = "ok";
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  row.values = {0.25, "sar", 4};
  row.metrics = {nan, std::copysign(nan, -1.0), inf, -inf, 0.1, 3, nullptr, -0.0};
  const Json report = {{"vmm", {{"err", nan}}}};
  const std::string text = sweep::row_to_json(row, report).dump();
  Json back_report;
  const auto back = sweep::row_from_json(Json::parse(text), &back_report);
  CHECK(sweep::csv_line(back) == sweep::csv_line(row));
  CHECK_THAT(sweep::csv_line(row), Catch::Contains(",nan,-nan,inf,-inf,0.1,3,,-0,ok,"));
  CHECK(back_report.dump() == report.dump());  // the JSONL line is the same bytes too
}

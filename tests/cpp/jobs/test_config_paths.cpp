#include <catch2/catch.hpp>

#include "core/jobs/config_paths.h"

using namespace xbarsim;
using kit::Json;

TEST_CASE("paths written in a config file are re-rooted at its folder", "[config][paths]") {
  Json c = {{"network", "m.onnx"},
            {"evaluation",
             {{"weights", "w"},
              {"dataset", {{"train_images", "../d/ti"}, {"test_labels", "/abs/tl"}}},
              {"train", {{"cache", ""}, {"epochs", 2}}}}},
            {"array", {{"rows", 64}}}};
  jobs::anchor_paths(c, "cfg/sub");
  CHECK(c["network"] == "cfg/sub/m.onnx");
  CHECK(c["evaluation"]["weights"] == "cfg/sub/w");
  CHECK(c["evaluation"]["dataset"]["train_images"] == "cfg/d/ti");  // normalised
  CHECK(c["evaluation"]["dataset"]["test_labels"] == "/abs/tl");    // absolute: as given
  CHECK(c["evaluation"]["train"]["cache"] == "");                   // "" = no cache
  CHECK(c["evaluation"]["train"]["epochs"] == 2);
  CHECK(c["array"]["rows"] == 64);

  Json obj = {{"network", {{"onnx", "m.onnx"}, {"input_shape", {1, 4, 4}}}},
              {"evaluation", {{"dataset", "fashion-mnist"}}}};
  jobs::anchor_paths(obj, "cfg");
  CHECK(obj["network"]["onnx"] == "cfg/m.onnx");
  CHECK(obj["evaluation"]["dataset"] == "fashion-mnist");  // a dataset's name, not a path

  Json preset = {{"network", "lenet5"}};
  jobs::anchor_paths(preset, "cfg");
  CHECK(preset["network"] == "lenet5");  // a zoo name, not a path
  Json here = {{"network", "m.onnx"}};
  jobs::anchor_paths(here, "");  // a bare file name: its folder is the working directory
  CHECK(here["network"] == "m.onnx");
}

TEST_CASE("a single override is re-rooted only at a path key", "[config][paths]") {
  CHECK(jobs::anchor_value("network", "../m.onnx", "s") == "m.onnx");
  CHECK(jobs::anchor_value("network", "vgg8", "s") == "vgg8");
  CHECK(jobs::anchor_value("evaluation.weights", "w", "s") == "s/w");
  CHECK(jobs::anchor_value("array.rows", 64, "s") == 64);
  CHECK(jobs::anchor_value("device.preset", "rram", "s") == "rram");
  CHECK(jobs::config_dir("a/b/c.json") == "a/b");
  CHECK(jobs::config_dir("c.json").empty());
}

#include <catch2/catch.hpp>
#include <cmath>

#include "core/kit/error.h"
#include "core/nn/network.h"

using namespace xbarsim;
using kit::Json;
using nn::Network;

namespace {

std::string error_of(const Json& node) {
  try {
    Network::parse(node, "network");
  } catch (const kit::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the network zoo parses with the published shapes and MAC counts", "[arch][network]") {
  const auto lenet = Network::parse("lenet5", "network");
  REQUIRE(lenet.layers.back().out_shape == std::vector<std::size_t>{10});
  // 16 x 5 x 5 features into the first fully connected layer.
  const auto& fc1 = lenet.layers[7];
  CHECK(fc1.type == "linear");
  CHECK(fc1.rows() == 400);
  CHECK(fc1.cols() == 120);
  // conv1 (5x5, padding 2 on 28x28): 28x28 vectors of 25 rows.
  CHECK(lenet.layers[0].vectors() == 784);
  CHECK(lenet.layers[0].rows() == 25);

  const auto vgg = Network::parse(Json{{"preset", "vgg8"}}, "network");
  const auto m = vgg.matrix_layers();
  REQUIRE(m.size() == 8);
  // NeuroSim's VGG-8: the first fully connected layer reads 8192 = 4 x 4 x 512.
  CHECK(vgg.layers[m[6]].rows() == 8192);
  CHECK(vgg.layers[m[1]].rows() == 1152);  // 3 x 3 x 128

  // ResNet-18: He et al. (CVPR 2016), Table 1: 1.8e9 multiply-adds, counted
  // with the padded zeros (a crossbar reads them too); 1000 classes.
  const auto resnet = Network::parse("resnet18", "network");
  CHECK(resnet.layers.back().out_shape == std::vector<std::size_t>{1000});
  double padded = 0;
  for (const auto& l : resnet.layers) padded += l.macs_padded();
  CHECK(padded == Approx(1.814e9).epsilon(0.005));
  CHECK(resnet.macs() < padded);
  CHECK(resnet.matrix_layers().size() == 21);  // 20 conv (3 projections) + fc
}

TEST_CASE("padded zeros are not counted as MACs", "[arch][network]") {
  // 3x3 input, 3x3 kernel, padding 1: per dimension the kernel taps inside
  // the input are 2 + 3 + 2 = 7 of 9, so 49 of 81 per channel pair.
  const auto net = Network::parse(
      Json{{"input", {2, 3, 3}},
           {"layers", {{{"type", "conv2d"}, {"out_channels", 5}, {"kernel", 3}, {"padding", 1}}}}},
      "network");
  const auto& l = net.layers[0];
  CHECK(l.macs_padded() == Approx(81.0 * 2 * 5));
  CHECK(l.macs() == Approx(49.0 * 2 * 5));
  CHECK(l.vectors() == 9);
  CHECK(l.rows() == 18);
}

TEST_CASE("network mistakes are refused with the path and a suggestion", "[arch][network]") {
  const Json in3 = {3, 8, 8};
  CHECK_THAT(error_of({{"input", in3},
                       {"layers", {{{"type", "conv2d"}, {"out_channels", 4}, {"kernel", 11}}}}}),
             Catch::Contains("network.layers[0].kernel") && Catch::Contains("larger than"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "linear"}, {"out_features", 4}}}}}),
             Catch::Contains("flatten"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "conv2d"}}}}}),
             Catch::Contains("layers[0].out_channels"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "convolution"}}}}}),
             Catch::Contains("layers[0].type") && Catch::Contains("conv2d"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "relu"}, {"strid", 2}}}}}),
             Catch::Contains("layers[0].strid") && Catch::Contains("unknown key"));
  CHECK_THAT(error_of({{"input", in3},
                       {"layers",
                        {{{"type", "conv2d"}, {"out_channels", 4}, {"name", "a"}},
                         {{"type", "add"}, {"from", "b"}}}}}),
             Catch::Contains("layers[1].from") && Catch::Contains("\"a\""));
  CHECK_THAT(error_of({{"input", in3},
                       {"layers",
                        {{{"type", "conv2d"}, {"out_channels", 4}, {"name", "a"}},
                         {{"type", "maxpool"}},
                         {{"type", "add"}, {"from", "a"}}}}}),
             Catch::Contains("layers[2]") && Catch::Contains("[4, 6, 6]"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "relu"}}, {{"type", "batchnorm"}}}}}),
             Catch::Contains("layers[1]") && Catch::Contains("folded"));
  CHECK_THAT(error_of({{"input", in3}, {"layers", {{{"type", "relu"}}}}}),
             Catch::Contains("nothing to map"));
  CHECK_THAT(error_of({{"preset", "resnet19"}}), Catch::Contains("resnet18"));
  CHECK_THAT(error_of({{"input", {3, 0, 8}}, {"layers", Json::array()}}),
             Catch::Contains("network.input"));
  CHECK_THAT(error_of({{"inputs", in3}}),
             Catch::Contains("network.inputs") && Catch::Contains("\"input\""));
}

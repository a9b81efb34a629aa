// The feature-space estimator (bottleneck/features.hpp): entropies of Phi Phi^T from either side against the
// exact n x n functions, the linear kernel's exact parts against the n x n path, the random features'
// approximation error against the exact estimator, gradients against finite differences, and bad input.

#include <cmath>

#include <catch2/catch.hpp>

#include "bottleneck/bottleneck.hpp"
#include "common/error.hpp"
#include "helpers.hpp"

using namespace pib::bottleneck;
using pib::bottleneck::test::finite_difference;
using pib::bottleneck::test::gradient_error;
using pib::bottleneck::test::pib_config;
using pib::bottleneck::test::random_batch;
using pib::bottleneck::test::random_labels;

namespace {

PibConfig features_config(double alpha, double beta, int features, Kernel kernel = Kernel::gaussian) {
  PibConfig cfg = pib_config(alpha, beta);
  cfg.z_kernel = kernel;
  cfg.estimator.features = features;
  cfg.estimator.seed = 7;
  return cfg;
}

}  // namespace

TEST_CASE("feature entropy equals the entropy of Phi Phi^T on either side, with and without blocks",
          "[bottleneck][features]") {
  pib::Rng rng(1);
  for (double alpha : {0.5, 1.0, 1.01, 2.0, 3.0}) {
    for (Eigen::Index m : {5, 40}) {  // 5 < every block (covariance side), 40 > n (Gram side)
      const Matrix phi = random_batch(rng, 24, m);
      const Matrix K = phi * phi.transpose();
      detail::FeatureEntropy fe;
      CHECK(fe(phi, alpha, 1.0, nullptr) == Approx(gram_entropy(K, alpha)).epsilon(1e-9));
      // Blocks: the joint with one-hot labels is the entropy of K o K_y.
      const std::vector<int> labels = random_labels(rng, 24, 3);
      const BatchTargets bt = BatchTargets::supervised(random_batch(rng, 24, 2), 1.0, labels, 3, alpha);
      const double blocks = fe(phi, bt.group_order(), bt.group_offsets(), alpha, 1.0, nullptr);
      CHECK(blocks == Approx(joint_entropy(K, label_gram(labels, 3), alpha)).epsilon(1e-9));
      const auto both = fe.with_blocks(phi, bt.group_order(), bt.group_offsets(), alpha, 1.0, 1.0, nullptr);
      CHECK(both.first == Approx(gram_entropy(K, alpha)).epsilon(1e-9));
      CHECK(both.second == Approx(blocks).epsilon(1e-9));
    }
  }
}

TEST_CASE("feature entropy gradients match finite differences", "[bottleneck][features]") {
  pib::Rng rng(2);
  const std::vector<int> labels = random_labels(rng, 12, 3);
  const BatchTargets bt = BatchTargets::supervised(random_batch(rng, 12, 2), 1.0, labels, 3, 1.01);
  for (double alpha : {0.7, 1.0, 1.01, 2.0}) {
    for (Eigen::Index m : {3, 20}) {
      for (bool grouped : {false, true}) {
        const Matrix phi = random_batch(rng, 12, m);
        detail::FeatureEntropy fe;
        auto f = [&](const Matrix& p) {
          return grouped ? fe(p, bt.group_order(), bt.group_offsets(), alpha, 1.0, nullptr)
                         : fe(p, alpha, 1.0, nullptr);
        };
        Matrix grad = Matrix::Zero(12, m);
        if (grouped) {  // the marginal and the blocks at once, with their own weights
          auto both = [&](const Matrix& p) {
            const auto s = fe.with_blocks(p, bt.group_order(), bt.group_offsets(), alpha, 1.0, 1.0, nullptr);
            return 0.3 * s.first - 0.5 * s.second;
          };
          fe.with_blocks(phi, bt.group_order(), bt.group_offsets(), alpha, 0.3, -0.5, &grad);
          INFO("with_blocks, alpha " << alpha << ", m " << m);
          CHECK(gradient_error(grad, finite_difference(both, phi, 1e-6)) <= 1.0);
          grad.setZero();
        }
        if (grouped)
          fe(phi, bt.group_order(), bt.group_offsets(), alpha, -0.5, &grad);
        else
          fe(phi, alpha, -0.5, &grad);
        INFO("alpha " << alpha << ", m " << m << ", grouped " << grouped);
        CHECK(gradient_error(grad, -0.5 * finite_difference(f, phi, 1e-6)) <= 1.0);
      }
    }
  }
}

TEST_CASE("with the linear kernel the feature path's I(Y, Z) and its gradient equal the n x n path's",
          "[bottleneck][features]") {
  pib::Rng rng(3);
  const Eigen::Index n = 60;
  const Matrix X = random_batch(rng, n, 5);
  const Matrix Z = random_batch(rng, n, 8);
  const std::vector<int> labels = random_labels(rng, n, 4);
  for (double alpha : {1.01, 2.0}) {
    // beta = 0: the loss is -I(Y; Z), which the feature path computes exactly from the d x d side.
    PibConfig exact = pib_config(alpha, 0.0);
    exact.z_kernel = Kernel::linear;
    const PibConfig feat = features_config(alpha, 0.0, 32, Kernel::linear);
    const auto bt_exact = BatchTargets::supervised(X, 1.5, labels, 4, alpha);
    const auto bt_feat = BatchTargets::supervised(X, 1.5, labels, 4, alpha, feat.estimator);
    Workspace ws;
    Matrix g_exact(n, 8), g_feat(n, 8);
    const Terms te = pib_loss(bt_exact, Z, exact, ws, g_exact);
    const Terms tf = pib_loss(bt_feat, Z, feat, ws, g_feat);
    CHECK(tf.i_yz == Approx(te.i_yz).epsilon(1e-10));
    CHECK(tf.loss == Approx(te.loss).epsilon(1e-10));
    CHECK((g_feat - g_exact).cwiseAbs().maxCoeff() <= 1e-10 * (1.0 + g_exact.cwiseAbs().maxCoeff()));
  }
}

TEST_CASE("the random features' error against the exact estimator falls with their number",
          "[bottleneck][features]") {
  // Class-structured X and Z = tanh(X W): the error of I(X; Z) and I(Y; Z) (bits) at 32, 256 and 2,048
  // features, each averaged over 4 seeds of the draws.
  pib::Rng rng(4);
  const Eigen::Index n = 128;
  const std::vector<int> labels = random_labels(rng, n, 4);
  Matrix X = random_batch(rng, n, 6);
  for (Eigen::Index i = 0; i < n; ++i)
    X(i, labels[static_cast<std::size_t>(i)]) += 3.0;
  const Matrix Z = (X * random_batch(rng, 6, 5) * 0.4).array().tanh().matrix();
  const double sigma_x = KernelWidth{}.select(X);
  PibConfig exact = pib_config(1.01, 0.01);
  exact.z_width.rule = WidthRule::fixed;
  exact.z_width.value = KernelWidth{}.select(Z);
  Workspace ws;
  Matrix grad(n, 5);
  const Terms te = pib_loss(BatchTargets::supervised(X, sigma_x, labels, 4, 1.01), Z, exact, ws, grad);
  const Matrix g_exact = grad;
  std::vector<double> err_xz, err_yz, err_grad;
  for (int m : {32, 256, 2048}) {
    double exz = 0, eyz = 0, eg = 0;
    for (std::uint64_t seed = 0; seed < 4; ++seed) {
      PibConfig feat = exact;
      feat.estimator = {m, seed};
      const Terms tf =
          pib_loss(BatchTargets::supervised(X, sigma_x, labels, 4, 1.01, feat.estimator), Z, feat, ws, grad);
      exz += std::abs(tf.i_xz - te.i_xz) / 4;
      eyz += std::abs(tf.i_yz - te.i_yz) / 4;
      eg += (grad - g_exact).norm() / g_exact.norm() / 4;
    }
    err_xz.push_back(exz);
    err_yz.push_back(eyz);
    err_grad.push_back(eg);
    UNSCOPED_INFO("m " << m << ": |dI(X;Z)| " << exz << " |dI(Y;Z)| " << eyz << " rel. grad error " << eg
                       << " (exact I(X;Z) " << te.i_xz << ", I(Y;Z) " << te.i_yz << ")");
  }
  CHECK(err_xz[2] < err_xz[0] / 2);
  CHECK(err_yz[2] < err_yz[0] / 2);
  CHECK(err_grad[2] < err_grad[0] / 2);
  CHECK(err_yz[2] < 0.1 * te.i_yz);
  CHECK(err_grad[2] < 0.5);
}

TEST_CASE("feature-path objectives match finite differences", "[bottleneck][features]") {
  pib::Rng rng(5);
  const Eigen::Index n = 16;
  const std::vector<int> labels = random_labels(rng, n, 3);
  const Matrix X = random_batch(rng, n, 4), X2 = random_batch(rng, n, 4);
  const Matrix Z = random_batch(rng, n, 3, 0.8), Z2 = random_batch(rng, n, 3, 0.8);
  for (Kernel kernel : {Kernel::gaussian, Kernel::linear}) {
    for (double alpha : {1.01, 2.0}) {
      PibConfig cfg = features_config(alpha, 0.3, 24, kernel);
      cfg.z_width.rule = WidthRule::fixed;  // sigma held fixed, as the gradient assumes
      cfg.z_width.value = 1.3;
      INFO("kernel " << to_string(kernel) << ", alpha " << alpha);
      Workspace ws;
      const auto bt = BatchTargets::supervised(X, 1.2, labels, 3, alpha, cfg.estimator);
      Matrix grad(n, 3), scratch(n, 3);
      pib_loss(bt, Z, cfg, ws, grad);
      auto loss = [&](const Matrix& z) { return pib_loss(bt, z, cfg, ws, scratch).loss; };
      CHECK(gradient_error(grad, finite_difference(loss, Z, 1e-6)) <= 1.0);

      const auto ssl = BatchTargets::self_supervised(X, X2, 1.2, alpha, cfg.estimator);
      Matrix g1(n, 3), g2(n, 3), s1(n, 3), s2(n, 3);
      ssl_loss(ssl, Z, Z2, cfg, ws, g1, g2);
      auto loss1 = [&](const Matrix& z) { return ssl_loss(ssl, z, Z2, cfg, ws, s1, s2).loss; };
      auto loss2 = [&](const Matrix& z) { return ssl_loss(ssl, Z, z, cfg, ws, s1, s2).loss; };
      CHECK(gradient_error(g1, finite_difference(loss1, Z, 1e-6)) <= 1.0);
      CHECK(gradient_error(g2, finite_difference(loss2, Z2, 1e-6)) <= 1.0);
    }
  }
}

TEST_CASE("the sampled kernel width is the exact rule up to 256 samples and close to it beyond",
          "[bottleneck][features]") {
  pib::Rng rng(6);
  Matrix d2;
  std::vector<double> scratch;
  for (WidthRule rule : {WidthRule::knn, WidthRule::median}) {
    KernelWidth w;
    w.rule = rule;
    const Matrix small = random_batch(rng, 200, 7);
    CHECK(sampled_width(w, small, d2, scratch) == Approx(w.select(small)).epsilon(1e-12));
    const Matrix large = random_batch(rng, 1500, 7);
    CHECK(sampled_width(w, large, d2, scratch) == Approx(w.select(large)).epsilon(0.03));
  }
}

TEST_CASE("the feature-space estimator rejects mismatched settings and RL batches",
          "[bottleneck][features]") {
  pib::Rng rng(7);
  const Matrix X = random_batch(rng, 10, 3), Z = random_batch(rng, 10, 2);
  const std::vector<int> labels = random_labels(rng, 10, 2);
  const PibConfig feat = features_config(1.01, 0.01, 16);
  Workspace ws;
  Matrix grad(10, 2);
  // Targets built for the exact estimator (or another seed) with a feature-space config.
  CHECK_THROWS_AS(pib_loss(BatchTargets::supervised(X, 1.0, labels, 2, 1.01), Z, feat, ws, grad),
                  pib::InvalidArgument);
  PibConfig other = feat;
  other.estimator.seed = 8;
  CHECK_THROWS_AS(
      pib_loss(BatchTargets::supervised(X, 1.0, labels, 2, 1.01, feat.estimator), Z, other, ws, grad),
      pib::InvalidArgument);
  const Eigen::VectorXd targets = Eigen::VectorXd::LinSpaced(10, 0.0, 1.0);
  CHECK_THROWS_WITH(pib_loss(BatchTargets::rl(X, 1.0, targets, 0.0, 1.01), Z, feat, ws, grad),
                    Catch::Contains("RL batches use features 0"));
  CHECK_THROWS_WITH(BatchTargets::supervised(X, 1.0, labels, 2, 1.01, Estimator{-1, 0}),
                    Catch::Contains("'features'"));
}

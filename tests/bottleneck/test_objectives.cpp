// The local PIB objectives: values against the entropy functions, gradients against finite differences,
// degenerate input, identical samples.

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

PibConfig fixed_width_config(double alpha, double beta, double sigma) {
  PibConfig cfg;
  cfg.alpha = alpha;
  cfg.beta = beta;
  cfg.z_width.rule = WidthRule::fixed;
  cfg.z_width.value = sigma;
  return cfg;
}

}  // namespace

TEST_CASE("supervised PIB loss: parts equal the mutual informations, gradient matches finite differences",
          "[bottleneck]") {
  pib::Rng rng(11);
  struct Shape {
    int n, dx, dz, classes;
  };
  for (Shape s : {Shape{6, 3, 4, 2}, Shape{14, 5, 3, 4}, Shape{16, 4, 5, 3}}) {
    const Matrix X = random_batch(rng, s.n, s.dx);
    const auto labels = random_labels(rng, static_cast<std::size_t>(s.n), s.classes);
    const Matrix Z = random_batch(rng, s.n, s.dz);
    for (double alpha : {0.5, 1.0, 1.01, 2.0}) {
      INFO("n = " << s.n << ", dz = " << s.dz << ", alpha = " << alpha);
      const auto batch = BatchTargets::supervised(X, 2.0, labels, s.classes, alpha);
      const PibConfig cfg = fixed_width_config(alpha, 0.1, 1.7);
      Workspace ws;
      Matrix grad(s.n, s.dz);
      const Terms t = pib_loss(batch, Z, cfg, ws, grad);
      const Matrix Kz = gaussian_gram(Z, 1.7);
      const double i_xz = mutual_information(gaussian_gram(X, 2.0), Kz, alpha).i;
      const double i_yz = mutual_information(label_gram(labels, s.classes), Kz, alpha).i;
      CHECK(t.i_xz == Approx(i_xz).epsilon(1e-9));
      CHECK(t.i_yz == Approx(i_yz).epsilon(1e-9));
      CHECK(t.loss == Approx(-i_yz + 0.1 * i_xz).epsilon(1e-9));
      CHECK(t.sigma_z == 1.7);
      const auto loss = [&](const Matrix& Y) {
        Matrix g(Y.rows(), Y.cols());
        Workspace w;
        return pib_loss(batch, Y, cfg, w, g).loss;
      };
      CHECK(gradient_error(grad, finite_difference(loss, Z, 1e-6)) <= 1.0);
      // A second call with the same workspace gives the same result.
      Matrix grad2(s.n, s.dz);
      CHECK(pib_loss(batch, Z, cfg, ws, grad2).loss == t.loss);
      CHECK((grad2 - grad).cwiseAbs().maxCoeff() <= 1e-14 * grad.cwiseAbs().maxCoeff());
    }
  }
}

TEST_CASE("supervised PIB loss with the linear kernel of the centred Z", "[bottleneck]") {
  pib::Rng rng(13);
  const int n = 14, dz = 4, classes = 3;
  const Matrix X = random_batch(rng, n, 3);
  const auto labels = random_labels(rng, n, classes);
  const Matrix Z = random_batch(rng, n, dz, 2.0);
  const Matrix Zc = Z.rowwise() - Z.colwise().mean();
  const Matrix Kz = Zc * Zc.transpose();
  for (double alpha : {0.5, 1.01, 2.0}) {
    INFO("alpha = " << alpha);
    const auto batch = BatchTargets::supervised(X, 2.0, labels, classes, alpha);
    PibConfig cfg = pib_config(alpha, 0.1);
    cfg.z_kernel = Kernel::linear;
    Workspace ws;
    Matrix grad(n, dz);
    const Terms t = pib_loss(batch, Z, cfg, ws, grad);
    CHECK(t.i_yz == Approx(mutual_information(label_gram(labels, classes), Kz, alpha).i).epsilon(1e-9));
    CHECK(t.i_xz == Approx(mutual_information(gaussian_gram(X, 2.0), Kz, alpha).i).epsilon(1e-9));
    CHECK(t.sigma_z == 0.0);
    const auto loss = [&](const Matrix& Y) {
      Matrix g(Y.rows(), Y.cols());
      Workspace w;
      return pib_loss(batch, Y, cfg, w, g).loss;
    };
    CHECK(gradient_error(grad, finite_difference(loss, Z, 1e-6)) <= 1.0);
    // Blind to the scale and the offset of Z: the loss is the same, the gradient scales by 1 / c.
    Matrix moved = 3.0 * Z;
    moved.rowwise() += Eigen::RowVectorXd::LinSpaced(dz, -1.0, 5.0);
    Matrix grad_moved(n, dz);
    CHECK(pib_loss(batch, moved, cfg, ws, grad_moved).loss == Approx(t.loss).epsilon(1e-12));
    CHECK((3.0 * grad_moved - grad).cwiseAbs().maxCoeff() <= 1e-10 * grad.cwiseAbs().maxCoeff());
  }
  // Classes collapsed onto distinct directions carry more about Y than a label-blind Z.
  Matrix separated = Matrix::Zero(n, classes);
  for (int i = 0; i < n; ++i)
    separated(i, labels[static_cast<std::size_t>(i)]) = 1.0;
  const auto batch = BatchTargets::supervised(X, 2.0, labels, classes, 1.01);
  PibConfig cfg = pib_config(1.01, 0.0);
  cfg.z_kernel = Kernel::linear;
  Workspace ws;
  Matrix g(n, classes);
  const double i_sep = pib_loss(batch, separated, cfg, ws, g).i_yz;
  Matrix gz(n, dz);
  CHECK(i_sep > pib_loss(batch, Z, cfg, ws, gz).i_yz + 0.3);
  // Constant Z has no linear kernel.
  CHECK_THROWS_AS(pib_loss(batch, Matrix::Constant(n, dz, 0.5), cfg, ws, gz), pib::InvalidArgument);
}

TEST_CASE("RL PIB loss for each choice of Y", "[bottleneck]") {
  pib::Rng rng(12);
  const int n = 16;
  const Matrix X = random_batch(rng, n, 4);
  const Matrix Z = random_batch(rng, n, 5);
  Eigen::VectorXd td(n);
  for (int i = 0; i < n; ++i)
    td(i) = 10.0 + 3.0 * rng.normal();
  const auto actions = random_labels(rng, n, 2);
  const double std_td = std::sqrt((td.array() - td.mean()).square().mean());
  for (RlTarget mode : {RlTarget::td_target, RlTarget::action, RlTarget::action_target}) {
    for (double alpha : {1.01, 2.0}) {
      INFO("mode " << static_cast<int>(mode) << ", alpha = " << alpha);
      const auto batch = BatchTargets::rl(X, 1.5, td, 0.0, alpha, mode, actions, 2);
      Matrix Ky;
      const Matrix Ktd = gaussian_gram(Matrix(td), std_td);
      if (mode == RlTarget::td_target) Ky = Ktd;
      if (mode == RlTarget::action) Ky = label_gram(actions, 2);
      if (mode == RlTarget::action_target) Ky = label_gram(actions, 2).cwiseProduct(Ktd);
      if (mode != RlTarget::action) CHECK(batch.sigma_y() == Approx(std_td));
      const PibConfig cfg = fixed_width_config(alpha, 0.05, 2.0);
      Workspace ws;
      Matrix grad(n, 5);
      const Terms t = pib_loss(batch, Z, cfg, ws, grad);
      CHECK(t.i_yz == Approx(mutual_information(Ky, gaussian_gram(Z, 2.0), alpha).i).epsilon(1e-9));
      CHECK(t.i_xz ==
            Approx(mutual_information(gaussian_gram(X, 1.5), gaussian_gram(Z, 2.0), alpha).i).epsilon(1e-9));
      const auto loss = [&](const Matrix& Y) {
        Matrix g(Y.rows(), Y.cols());
        Workspace w;
        return pib_loss(batch, Y, cfg, w, g).loss;
      };
      CHECK(gradient_error(grad, finite_difference(loss, Z, 1e-6)) <= 1.0);
    }
  }
  // Constant targets: the std is floored, the values stay finite.
  const auto flat = BatchTargets::rl(X, 1.5, Eigen::VectorXd::Constant(n, 3.0), -1.0, 2.0);
  CHECK(flat.sigma_y() == 1e-6);
  Workspace ws;
  Matrix grad(n, 5);
  CHECK(std::isfinite(pib_loss(flat, Z, pib_config(2.0, 0.01), ws, grad).loss));
  CHECK(grad.allFinite());
}

TEST_CASE("self-supervised PIB loss: parts and both gradients", "[bottleneck]") {
  pib::Rng rng(13);
  const int n = 12;
  const Matrix X1 = random_batch(rng, n, 4), X2 = random_batch(rng, n, 4);
  const Matrix Z1 = random_batch(rng, n, 3), Z2 = random_batch(rng, n, 3);
  const auto centred_linear = [](const Matrix& Z) {
    const Matrix c = Z.rowwise() - Z.colwise().mean();
    return Matrix(c * c.transpose());
  };
  for (Kernel kernel : {Kernel::gaussian, Kernel::linear}) {
    for (double alpha : {0.5, 1.01, 2.0}) {
      INFO("kernel " << to_string(kernel) << ", alpha = " << alpha);
      const auto batch = BatchTargets::self_supervised(X1, X2, 2.0, alpha);
      PibConfig cfg = fixed_width_config(alpha, 0.2, 1.4);
      cfg.z_kernel = kernel;
      Workspace ws;
      Matrix g1(n, 3), g2(n, 3);
      const Terms t = ssl_loss(batch, Z1, Z2, cfg, ws, g1, g2);
      const bool gauss = kernel == Kernel::gaussian;
      const Matrix K1 = gauss ? gaussian_gram(Z1, 1.4) : centred_linear(Z1);
      const Matrix K2 = gauss ? gaussian_gram(Z2, 1.4) : centred_linear(Z2);
      CHECK(t.i_z1z2 == Approx(mutual_information(K1, K2, alpha).i).epsilon(1e-9));
      CHECK(t.i_xz == Approx(mutual_information(gaussian_gram(X1, 2.0), K1, alpha).i).epsilon(1e-9));
      CHECK(t.i_x2z2 == Approx(mutual_information(gaussian_gram(X2, 2.0), K2, alpha).i).epsilon(1e-9));
      CHECK(t.loss == Approx(-t.i_z1z2 + 0.2 * (t.i_xz + t.i_x2z2)).epsilon(1e-12));
      const auto loss1 = [&](const Matrix& Y) {
        Matrix a(n, 3), b(n, 3);
        Workspace w;
        return ssl_loss(batch, Y, Z2, cfg, w, a, b).loss;
      };
      const auto loss2 = [&](const Matrix& Y) {
        Matrix a(n, 3), b(n, 3);
        Workspace w;
        return ssl_loss(batch, Z1, Y, cfg, w, a, b).loss;
      };
      CHECK(gradient_error(g1, finite_difference(loss1, Z1, 1e-6)) <= 1.0);
      CHECK(gradient_error(g2, finite_difference(loss2, Z2, 1e-6)) <= 1.0);
    }
  }
}

TEST_CASE("the default knn width is used and reported", "[bottleneck]") {
  pib::Rng rng(14);
  const Matrix X = random_batch(rng, 30, 3), Z = random_batch(rng, 30, 4);
  const auto batch = BatchTargets::supervised(X, 1.0, random_labels(rng, 30, 3), 3, 1.01);
  Workspace ws;
  Matrix grad(30, 4);
  const Terms t = pib_loss(batch, Z, PibConfig{}, ws, grad);
  CHECK(t.sigma_z == Approx(KernelWidth{}.select(Z)).epsilon(1e-12));
  CHECK(t.i_yz > 0.0);
  CHECK(t.i_xz > 0.0);
}

TEST_CASE("objectives reject degenerate input and stay finite for identical samples", "[bottleneck]") {
  using pib::InvalidArgument;
  pib::Rng rng(15);
  const Matrix X = random_batch(rng, 8, 3);
  const auto labels = random_labels(rng, 8, 2);
  CHECK_THROWS_AS(BatchTargets::supervised(X, 1.0, {0, 1}, 2, 1.01), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::supervised(X, 0.0, labels, 2, 1.01), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::supervised(X, 1.0, labels, 2, 0.0), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::supervised(X.topRows(1), 1.0, {0}, 2, 1.01), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::self_supervised(X, X.topRows(5), 1.0, 2.0), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::rl(X, 1.0, Eigen::VectorXd::Zero(7), 1.0, 2.0), InvalidArgument);
  CHECK_THROWS_AS(BatchTargets::rl(X, 1.0, Eigen::VectorXd::Zero(8), 1.0, 2.0, RlTarget::action, {0, 1}, 2),
                  InvalidArgument);
  const auto batch = BatchTargets::supervised(X, 1.0, labels, 2, 2.0);
  Workspace ws;
  Matrix Z = random_batch(rng, 8, 2), grad(8, 2), small(7, 2);
  CHECK_THROWS_AS(pib_loss(batch, Z, pib_config(1.01, 0.01), ws, grad),
                  InvalidArgument);  // alpha mismatch
  CHECK_THROWS_AS(pib_loss(batch, Z, pib_config(2.0, -1.0), ws, grad), InvalidArgument);
  CHECK_THROWS_AS(pib_loss(batch, Z.topRows(7), pib_config(2.0, 0.01), ws, small), InvalidArgument);
  Z(3, 1) = std::nan("");
  CHECK_THROWS_AS(pib_loss(batch, Z, pib_config(2.0, 0.01), ws, grad), InvalidArgument);

  for (double alpha : {0.5, 1.01, 2.0}) {
    const auto b = BatchTargets::supervised(Matrix::Ones(8, 3), 1.0, labels, 2, alpha);
    const Matrix same = Matrix::Constant(8, 2, -0.5);
    const Terms t = pib_loss(b, same, pib_config(alpha, 0.01), ws, grad);
    CHECK(std::isfinite(t.loss));
    CHECK(t.i_xz == Approx(0.0).margin(1e-9));
    CHECK(grad.allFinite());
  }
}

TEST_CASE("the AVX2 kernels and the portable path agree", "[bottleneck]") {
  pib::Rng rng(16);
  const int n = 40;
  const Matrix X = random_batch(rng, n, 9), Z = random_batch(rng, n, 7);
  const auto labels = random_labels(rng, n, 5);
  for (double alpha : {1.01, 2.0}) {
    Terms t[2];
    Matrix grad[2] = {Matrix(n, 7), Matrix(n, 7)};
    for (int simd = 0; simd < 2; ++simd) {
      detail::set_simd_enabled(simd == 1);
      const auto batch = BatchTargets::supervised(X, 3.0, labels, 5, alpha);
      Workspace ws;
      t[simd] = pib_loss(batch, Z, pib_config(alpha, 0.01), ws, grad[simd]);
    }
    detail::set_simd_enabled(true);
    CHECK(t[1].loss == Approx(t[0].loss).epsilon(1e-10));
    CHECK(t[1].i_xz == Approx(t[0].i_xz).epsilon(1e-10));
    CHECK((grad[1] - grad[0]).cwiseAbs().maxCoeff() <= 1e-10 * grad[0].cwiseAbs().maxCoeff());
  }
}

TEST_CASE("TD loss: value and dL/dQ at the taken action match finite differences", "[bottleneck]") {
  pib::Rng rng(5);
  const int n = 12, actions_n = 3;
  Matrix Q = random_batch(rng, n, actions_n) * 2.0;  // deltas on both sides of the Huber threshold
  std::vector<int> actions;
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    actions.push_back(static_cast<int>(rng.below(actions_n)));
    y(i) = rng.normal(0.0, 1.5);
  }
  for (const auto kind : {TdLoss::squared, TdLoss::huber}) {
    INFO((kind == TdLoss::huber ? "huber" : "squared"));
    Matrix grad(n, actions_n);
    const double loss = td_loss(Q, actions, y, kind, grad);
    double expected = 0.0;
    for (int i = 0; i < n; ++i) {
      const double d = Q(i, actions[static_cast<std::size_t>(i)]) - y(i);
      expected += kind == TdLoss::squared || std::abs(d) <= 1.0 ? 0.5 * d * d : std::abs(d) - 0.5;
      for (int a = 0; a < actions_n; ++a)
        if (a != actions[static_cast<std::size_t>(i)]) CHECK(grad(i, a) == 0.0);
    }
    CHECK(loss == Approx(expected / n).epsilon(1e-12));
    const auto f = [&](const Matrix& q) {
      Matrix g(n, actions_n);
      return td_loss(q, actions, y, kind, g);
    };
    CHECK(gradient_error(grad, finite_difference(f, Q, 1e-6)) <= 1.0);
  }
  Matrix grad(n, actions_n);
  auto bad = actions;
  bad[3] = actions_n;
  CHECK_THROWS_AS(td_loss(Q, bad, y, TdLoss::squared, grad), pib::InvalidArgument);
  CHECK_THROWS_AS(td_loss(Q, actions, y.head(n - 1), TdLoss::squared, grad), pib::InvalidArgument);
}

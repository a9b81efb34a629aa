#include "units/geometry.hpp"

#include "common/error.hpp"

namespace pib::units {

void CrossbarGeometry::im2col(const Eigen::Ref<const Matrix>& input, Eigen::Ref<Matrix> patches) const {
  const Eigen::Index n = input.rows(), oh_n = out_h(), ow_n = out_w(), positions_n = oh_n * ow_n;
  PIB_EXPECTS(input.cols() == input_dim() && patches.rows() >= n * positions_n && patches.cols() == rows(),
              "im2col shapes");
  for (Eigen::Index s = 0; s < n; ++s)
    for (Eigen::Index oh = 0; oh < oh_n; ++oh)
      for (Eigen::Index ow = 0; ow < ow_n; ++ow) {
        const Eigen::Index row = s * positions_n + oh * ow_n + ow;
        Eigen::Index k = 0;
        for (Eigen::Index c = 0; c < in_channels; ++c)
          for (Eigen::Index kh = 0; kh < kernel_h; ++kh) {
            const Eigen::Index ih = oh * stride_h - pad_h + kh;
            for (Eigen::Index kw = 0; kw < kernel_w; ++kw, ++k) {
              const Eigen::Index iw = ow * stride_w - pad_w + kw;
              const bool inside = ih >= 0 && ih < height && iw >= 0 && iw < width;
              patches(row, k) = inside ? input(s, (c * height + ih) * width + iw) : 0.0;
            }
          }
      }
}

namespace {

// Calls visit(s, q, k) for every sample s and pooling window q (column of the pooled output), with k the
// column of the window's first maximum in `full` (n x conv_dim, [co][oh][ow]).
template <typename Visit>
void for_each_window_max(const CrossbarGeometry& g, const Eigen::Ref<const Matrix>& full, Visit&& visit) {
  const Eigen::Index ph_n = g.pooled_h(), pw_n = g.pooled_w(), oh_n = g.out_h(), ow_n = g.out_w();
  for (Eigen::Index s = 0; s < full.rows(); ++s)
    for (Eigen::Index c = 0; c < g.out_channels; ++c)
      for (Eigen::Index ph = 0; ph < ph_n; ++ph)
        for (Eigen::Index pw = 0; pw < pw_n; ++pw) {
          Eigen::Index arg = -1;
          for (Eigen::Index i = 0; i < g.pool_h; ++i)
            for (Eigen::Index j = 0; j < g.pool_w; ++j) {
              const Eigen::Index k = (c * oh_n + ph * g.pool_h + i) * ow_n + pw * g.pool_w + j;
              if (arg < 0 || full(s, k) > full(s, arg)) arg = k;
            }
          visit(s, (c * ph_n + ph) * pw_n + pw, arg);
        }
}

}  // namespace

void CrossbarGeometry::max_pool(const Eigen::Ref<const Matrix>& full, Matrix& pooled) const {
  PIB_EXPECTS(full.cols() == conv_dim(), "max_pool: ", full.cols(), " columns, expected ", conv_dim());
  pooled.resize(full.rows(), output_dim());
  for_each_window_max(*this, full,
                      [&](Eigen::Index s, Eigen::Index q, Eigen::Index k) { pooled(s, q) = full(s, k); });
}

void CrossbarGeometry::max_pool_backward(const Eigen::Ref<const Matrix>& full,
                                         const Eigen::Ref<const Matrix>& d_pooled, Matrix& d_full) const {
  PIB_EXPECTS(full.cols() == conv_dim() && d_pooled.cols() == output_dim() && d_pooled.rows() == full.rows(),
              "max_pool_backward shapes");
  d_full.setZero(full.rows(), conv_dim());
  for_each_window_max(*this, full,
                      [&](Eigen::Index s, Eigen::Index q, Eigen::Index k) { d_full(s, k) = d_pooled(s, q); });
}

}  // namespace pib::units

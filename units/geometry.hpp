#pragma once
// The geometry of a layer mapped onto crossbar columns (im2col) and its max pooling: shared by the crossbar
// kinds (units/memristor.hpp) and the ideal layer (units/ideal.hpp).

#include <Eigen/Core>

#include "units/unit.hpp"

namespace pib::units {

// im2col geometry: a sample is a [in_channels][height][width] image; dense is 1 x 1 with a 1 x 1 kernel.
// Optional max pooling after the activation (digital, like bias and activation): non-overlapping
// pool_h x pool_w windows of each channel's conv output; a trailing part smaller than a window is dropped.
struct CrossbarGeometry {
  Eigen::Index in_channels = 1, height = 1, width = 1;
  Eigen::Index out_channels = 1;
  Eigen::Index kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
  Eigen::Index pool_h = 1, pool_w = 1;

  Eigen::Index out_h() const { return (height + 2 * pad_h - kernel_h) / stride_h + 1; }
  Eigen::Index out_w() const { return (width + 2 * pad_w - kernel_w) / stride_w + 1; }
  Eigen::Index positions() const { return out_h() * out_w(); }  // conv positions, before pooling
  Eigen::Index pooled_h() const { return out_h() / pool_h; }
  Eigen::Index pooled_w() const { return out_w() / pool_w; }
  Eigen::Index rows() const { return in_channels * kernel_h * kernel_w; }
  Eigen::Index input_dim() const { return in_channels * height * width; }
  Eigen::Index conv_dim() const { return out_channels * positions(); }  // outputs before pooling
  Eigen::Index output_dim() const { return out_channels * pooled_h() * pooled_w(); }
  bool pools() const { return pool_h > 1 || pool_w > 1; }
  bool is_dense() const {
    return height == 1 && width == 1 && kernel_h == 1 && kernel_w == 1 && pad_h == 0 && pad_w == 0;
  }

  // Patches (n positions() x rows()) of `input` (n x input_dim()), row s positions() + oh out_w() + ow.
  void im2col(const Eigen::Ref<const Matrix>& input, Eigen::Ref<Matrix> patches) const;
  // Max pooling of conv outputs `full` (n x conv_dim(), [co][oh][ow]) into `pooled` (resized to n x
  // output_dim(), [co][ph][pw]).
  void max_pool(const Eigen::Ref<const Matrix>& full, Matrix& pooled) const;
  // dL/d(full) (resized to full's shape) from dL/d(pooled): each window's gradient goes to the first
  // position holding the window's maximum in `full`, the rest get 0.
  void max_pool_backward(const Eigen::Ref<const Matrix>& full, const Eigen::Ref<const Matrix>& d_pooled,
                         Matrix& d_full) const;
};

}  // namespace pib::units

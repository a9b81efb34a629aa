// `pib device characterize` for optical units (units/characterize.hpp): the camera's statistics.
//   read_noise_rel             mean over camera pixels of std/mean at one fixed input (pixels with mean >= 1
//   DN
//                              and 3 std from 0 and from full scale, so that clipping hides none of their
//                              noise)
//   read_noise_rel_expected    the same from the configured model:
//                              sqrt(mean (2^b - 1) / full_well_e + read_noise_dn^2 + 1/12) / mean
//   full_well_e_fit, read_noise_dn_fit  (shot noise on) from the linear fit var = a + mean (2^b - 1) / fw
//   levels, levels_used        2^camera_bits and the distinct DN values seen
//   camera_saturation_fraction pixels at full scale in the random batch
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "units/characterize.hpp"
#include "units/optical.hpp"

namespace pib::units {

DeviceCharacterization characterize_optical(Unit& unit_base, const nlohmann::json& parameters,
                                            std::uint64_t seed, int reads) {
  auto* optical = dynamic_cast<OpticalUnit*>(&unit_base);
  PIB_EXPECTS(optical != nullptr, "characterize_optical: '", unit_base.kind(), "' is not an optical unit");
  const OpticalConfig& oc = optical->config();
  Rng rng = Rng::derive(seed, Stream::measure);
  DeviceCharacterization c;
  c.kind = unit_base.kind();
  c.reads = reads;
  Measurement m;
  const Matrix batch = deploy_calibrate_measure(unit_base, parameters, rng, c, m);

  const double full_scale = std::ldexp(1.0, oc.camera_bits) - 1.0;
  c.levels = full_scale + 1.0;
  c.camera_saturation_fraction = (m.response.array() >= 1.0).cast<double>().mean();
  std::set<double> used;
  for (Eigen::Index i = 0; i < m.response.size(); ++i)
    used.insert(m.response.data()[i]);
  c.details["levels_used"] = used.size();
  c.details["encoding"] = oc.encoding_name();
  c.details["n_speckle"] = oc.n_speckle;
  c.details["camera_bits"] = oc.camera_bits;
  c.details["full_well_e"] = oc.full_well_e;
  c.details["read_noise_dn"] = oc.read_noise_dn;
  c.details["shot_noise"] = oc.shot_noise;
  c.details["camera_gain_dn"] = optical->camera_gain_dn();

  // One fixed input, `reads` times: each camera pixel's intensity in DN.
  optical->measure(batch.topRows(1).replicate(reads, 1), m, rng);
  const Matrix observed = m.response * full_scale;
  const double k = static_cast<double>(reads);
  double rel_sum = 0.0, expected_sum = 0.0;
  int channels = 0;
  double sx = 0, sy = 0, sxx = 0, sxy = 0;  // least squares var = a + b mean over unsaturated pixels
  int fit_points = 0;
  for (Eigen::Index j = 0; j < observed.cols(); ++j) {
    const double mean = observed.col(j).mean();
    const double var = (observed.col(j).array() - mean).square().sum() / (k - 1.0);
    // Pixels whose reads reach 0 or full scale are clipped, which hides part of their noise: left out.
    if (mean < 1.0 || mean - 3.0 * std::sqrt(var) < 0.0 || mean + 3.0 * std::sqrt(var) > full_scale) continue;
    rel_sum += std::sqrt(var) / mean;
    ++channels;
    const double shot = oc.shot_noise ? mean * full_scale / oc.full_well_e : 0.0;
    expected_sum += std::sqrt(shot + oc.read_noise_dn * oc.read_noise_dn + 1.0 / 12.0) / mean;
    if (mean < full_scale - 3.0 * std::sqrt(var) - 1.0) {
      sx += mean;
      sy += var;
      sxx += mean * mean;
      sxy += mean * var;
      ++fit_points;
    }
  }
  c.read_noise_rel = channels > 0 ? rel_sum / channels : 0.0;
  c.details["read_noise_rel_expected"] = channels > 0 ? expected_sum / channels : 0.0;
  const double denom = fit_points * sxx - sx * sx;
  if (fit_points >= 3 && denom > 0.0 && oc.shot_noise) {
    const double slope = (fit_points * sxy - sx * sy) / denom;
    const double intercept = (sy - slope * sx) / fit_points;
    c.details["full_well_e_fit"] = slope > 0.0 ? nlohmann::json(full_scale / slope) : nlohmann::json(nullptr);
    c.details["read_noise_dn_fit"] = std::sqrt(std::max(0.0, intercept - 1.0 / 12.0));
  }
  return c;
}

}  // namespace pib::units

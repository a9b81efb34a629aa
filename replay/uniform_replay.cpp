#include "replay/uniform_replay.hpp"

#include <optional>
#include <utility>

#include "common/error.hpp"
#include "replay/binary_io.hpp"

namespace pib::replay {

UniformReplay::UniformReplay(std::size_t capacity, std::size_t obs_dim) : columns_(capacity, obs_dim) {}

void UniformReplay::sample(std::size_t batch, Rng& rng, Batch& out) const {
  if (batch == 0) raise<InvalidArgument>("replay sample: batch size must be > 0");
  if (batch > size())
    raise<StateError>("replay sample: asked for ", batch, " transitions but the buffer holds ", size());
  out.resize(batch, obs_dim());
  for (std::size_t k = 0; k < batch; ++k)
    out.indices[k] = static_cast<std::size_t>(rng.below(size()));
  columns_.gather(out);
  out.weights.setOnes();
}

void UniformReplay::save(std::ostream& out, const std::string& source) const {
  detail::BinaryWriter writer(out);
  writer.header(detail::BufferKind::uniform);
  columns_.write(writer);
  writer.finish(source);
}

void UniformReplay::save(const std::filesystem::path& path) const {
  detail::write_file_atomically(path, [&](std::ostream& out) { save(out, path.string()); });
}

UniformReplay UniformReplay::load(std::istream& in, const std::string& source) {
  detail::BinaryReader reader(in, source);
  reader.header(detail::BufferKind::uniform);
  TransitionColumns columns = TransitionColumns::read(reader);
  reader.finish();
  return UniformReplay(std::move(columns));
}

UniformReplay UniformReplay::load(const std::filesystem::path& path) {
  std::optional<UniformReplay> result;
  detail::read_file(path, [&](std::istream& in) { result.emplace(load(in, path.string())); });
  return std::move(*result);
}

}  // namespace pib::replay

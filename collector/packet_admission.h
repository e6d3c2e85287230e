#pragma once
// Decides whether a decoded packet may enter the pipeline: HEP auth key and capture-id allow list.
// Pure and immutable after construction, so listener threads share one instance.
#include <cstdint>
#include <set>
#include <string>

#include "proto/packet.h"

namespace sipvault::collector {

enum class Admission { Accept, KeepAlive, BadAuthKey, CaptureIdNotAllowed };

class PacketAdmission {
 public:
  // auth_key "" accepts any (or no) key; an empty allow list accepts every capture id.
  PacketAdmission(std::string auth_key, std::set<uint32_t> capture_ids)
      : auth_key_(std::move(auth_key)), capture_ids_(std::move(capture_ids)) {}

  // IP-in-IP packets carry no auth key or capture id, so with from_hep=false they are always accepted.
  [[nodiscard]] Admission check(const PacketView& p, bool from_hep) const;

 private:
  std::string auth_key_;
  std::set<uint32_t> capture_ids_;
};

}  // namespace sipvault::collector

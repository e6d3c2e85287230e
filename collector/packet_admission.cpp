#include "collector/packet_admission.h"

namespace sipvault::collector {

Admission PacketAdmission::check(const PacketView& p, bool from_hep) const {
  if (!from_hep) return Admission::Accept;
  if (!auth_key_.empty() && (!p.has_auth_key || p.auth_key != auth_key_)) return Admission::BadAuthKey;
  if (!capture_ids_.empty() && !capture_ids_.count(p.capture_id)) return Admission::CaptureIdNotAllowed;
  // A keep-alive with no payload is only a liveness signal from the sender.
  if (p.keep_alive && p.payload.empty()) return Admission::KeepAlive;
  return Admission::Accept;
}

}  // namespace sipvault::collector

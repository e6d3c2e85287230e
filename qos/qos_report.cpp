#include "qos/qos_report.h"

namespace sipvault::qos {

const char* statusName(QosDecodeStatus s) {
  switch (s) {
    case QosDecodeStatus::Ok: return "ok";
    case QosDecodeStatus::Truncated: return "truncated";
    case QosDecodeStatus::BadVersion: return "bad_version";
    case QosDecodeStatus::BadLength: return "bad_length";
    case QosDecodeStatus::NotRtcp: return "not_rtcp";
    case QosDecodeStatus::BadJson: return "bad_json";
    case QosDecodeStatus::BadFormat: return "bad_format";
    case QosDecodeStatus::Empty: return "empty";
  }
  return "unknown";
}

}  // namespace sipvault::qos

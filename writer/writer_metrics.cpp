#include "writer/writer_metrics.h"

namespace sipvault::writer {

ReceiverMetrics::ReceiverMetrics(MetricsRegistry& r)
    : registry(r) SIPVAULT_WRITER_RECEIVER_METRICS(SIPVAULT_METRIC_INIT) {}

InsertMetrics::InsertMetrics(MetricsRegistry& r)
    : registry(r) SIPVAULT_WRITER_INSERT_METRICS(SIPVAULT_METRIC_INIT) {}

SpoolMetrics::SpoolMetrics(MetricsRegistry& r)
    : registry(r) SIPVAULT_WRITER_SPOOL_METRICS(SIPVAULT_METRIC_INIT) {}

ServiceMetrics::ServiceMetrics(MetricsRegistry& r)
    : registry(r) SIPVAULT_WRITER_SERVICE_METRICS(SIPVAULT_METRIC_INIT) {}

}  // namespace sipvault::writer

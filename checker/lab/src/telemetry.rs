//! [`Telemetry`]: the providers a service's setup code built, which the rest of the
//! service takes its tracer, meters and loggers from, and which the harness flushes.

use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::Edge;

/// The service's telemetry pipeline. Providers that were not set are empty ones that
/// export nothing, so early exercises only build what they need.
///
/// The exercise's `telemetry::init(edge)` builds it (`Telemetry::new(tracer_provider)`,
/// then `.with_meter_provider(..)`, `.with_logger_provider(..)` as the track goes on); the
/// router function receives it and takes its tracers, meters and loggers from it; the lab
/// calls [`Telemetry::shutdown`] (or the exercise's own `shutdown`) when the service stops.
#[derive(Debug, Clone)]
pub struct Telemetry {
    tracer_provider: SdkTracerProvider,
    /// The position service's own provider, once it is instrumented (its own resource).
    position_tracer_provider: Option<SdkTracerProvider>,
    meter_provider: SdkMeterProvider,
    logger_provider: SdkLoggerProvider,
}

impl Telemetry {
    /// A pipeline with this tracer provider, and empty meter and logger providers.
    pub fn new(tracer_provider: SdkTracerProvider) -> Self {
        Self {
            tracer_provider,
            position_tracer_provider: None,
            meter_provider: SdkMeterProvider::builder().build(),
            logger_provider: SdkLoggerProvider::builder().build(),
        }
    }

    /// The position service's tracer provider: a second service has its own resource, so
    /// its own provider (built over `edge.position_spans`).
    pub fn with_position_tracer_provider(mut self, provider: SdkTracerProvider) -> Self {
        self.position_tracer_provider = Some(provider);
        self
    }

    /// Sets the meter provider (exercise 8 on).
    pub fn with_meter_provider(mut self, meter_provider: SdkMeterProvider) -> Self {
        self.meter_provider = meter_provider;
        self
    }

    /// Sets the logger provider (exercise 10 on).
    pub fn with_logger_provider(mut self, logger_provider: SdkLoggerProvider) -> Self {
        self.logger_provider = logger_provider;
        self
    }

    /// The distance service's tracer provider: ask it for a tracer (`tracer_with_scope`).
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.tracer_provider
    }

    /// The position service's tracer provider, or the main one when it has none of its own.
    pub fn position_tracer_provider(&self) -> &SdkTracerProvider {
        self.position_tracer_provider.as_ref().unwrap_or(&self.tracer_provider)
    }

    /// The meter provider: ask it for a meter (`meter_with_scope`).
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.meter_provider
    }

    /// The logger provider, which a log bridge (`OpenTelemetryTracingBridge`) takes.
    pub fn logger_provider(&self) -> &SdkLoggerProvider {
        &self.logger_provider
    }

    /// Flushes and shuts every provider down: what a service does on its way out so that
    /// nothing buffered is lost.
    pub fn shutdown(&self) {
        let _ = self.tracer_provider.shutdown();
        if let Some(p) = &self.position_tracer_provider {
            let _ = p.shutdown();
        }
        let _ = self.meter_provider.shutdown();
        let _ = self.logger_provider.shutdown();
    }
}

/// A ready-made pipeline for the very first exercise: a tracer provider with `resource`,
/// exporting every span at once to the edge. Exercise 2 has you write this yourself.
pub fn quick_start(resource: Resource, edge: Edge) -> Telemetry {
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_id_generator(edge.ids)
        .with_span_processor(edge.starts)
        .with_simple_exporter(edge.spans)
        .build();
    Telemetry::new(tracer_provider)
}

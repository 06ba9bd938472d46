package io.tributary.pipelines.io;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The synthetic source of every Tributary pipeline ({@code --source=synthetic}, the default): a
 * pure function of seed and index, bounded by {@code --maxEvents} or paced in real time. Each
 * pipeline adds its own {@code --eventsPerSecond} and what it generates.
 */
public interface SyntheticOptions extends PipelineOptions {
  @Description("Synthetic source: the random seed.")
  @Default.Long(42)
  long getSeed();

  void setSeed(long seed);

  @Description(
      "Synthetic source: stop after this many events, generated as fast as the runner reads them"
          + " (0: run forever, paced in real time at --eventsPerSecond).")
  @Default.Long(0)
  long getMaxEvents();

  void setMaxEvents(long events);

  @Description("Synthetic source: event time of the first event of a bounded run (epoch milliseconds).")
  @Default.Long(1_700_000_000_000L)
  long getStartMillis();

  void setStartMillis(long millis);
}

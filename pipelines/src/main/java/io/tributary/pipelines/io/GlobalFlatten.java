package io.tributary.pipelines.io;

import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.joda.time.Duration;

/**
 * Flattens collections of any windowing and triggering into one: Beam's Flatten refuses inputs
 * whose windowing differs (e.g. windowed sensor aggregates beside unwindowed database changes, or
 * failures of a step after sliding windows beside parse failures), so each input is moved to the
 * global window with the default trigger first. Elements keep their timestamps; later steps window
 * them again as they need.
 */
public final class GlobalFlatten {
  private GlobalFlatten() {}

  /** The elements of every collection of {@code inputs}, in the global window. */
  public static <T> PCollection<T> of(String name, PCollectionList<T> inputs) {
    PCollectionList<T> global = PCollectionList.empty(inputs.getPipeline());
    int i = 0;
    for (PCollection<T> input : inputs.getAll()) {
      global =
          global.and(
              input.apply(
                  name + "/Global" + i++,
                  Window.<T>into(new GlobalWindows())
                      .triggering(DefaultTrigger.of())
                      .withAllowedLateness(Duration.ZERO)
                      .discardingFiredPanes()));
    }
    return global.apply(name, Flatten.pCollections());
  }
}

package io.tributary.transforms.window;

import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.PCollection;

/**
 * Puts a collection into the global window, as stateful steps keyed across all of time need, and
 * leaves one that is already there as it is: {@code Window.into} on such a collection changes
 * nothing but still costs a step, and on Flink a copy of every element.
 */
public final class GlobalWindowing<T> extends PTransform<PCollection<T>, PCollection<T>> {
  private GlobalWindowing() {}

  public static <T> GlobalWindowing<T> of() {
    return new GlobalWindowing<>();
  }

  @Override
  public PCollection<T> expand(PCollection<T> input) {
    if (input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows) {
      return input;
    }
    return input.apply("Into", Window.<T>into(new GlobalWindows()));
  }
}

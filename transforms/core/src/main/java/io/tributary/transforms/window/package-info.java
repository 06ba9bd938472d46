/**
 * The exact sliding-window aggregator {@link io.tributary.transforms.window.SlidingCombine},
 * shared by web activity and sentiment, and pane helpers. Artifact {@code tributary-core}.
 */
package io.tributary.transforms.window;

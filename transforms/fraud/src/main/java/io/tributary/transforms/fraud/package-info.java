/**
 * Card fraud: {@link io.tributary.transforms.fraud.Fraud#score()} compares each transaction with
 * its card's exact preceding-window average and flags k-times outliers; {@link
 * io.tributary.transforms.fraud.FraudFeatures} turns the rolling features into feature rows for
 * any feature store. Artifact {@code tributary-fraud}: core only.
 */
package io.tributary.transforms.fraud;

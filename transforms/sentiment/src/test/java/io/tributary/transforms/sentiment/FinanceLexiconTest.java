package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

import org.junit.jupiter.api.Test;

class FinanceLexiconTest {
  private static double net(String sentence) {
    return FinanceLexicon.evidence(sentence).net();
  }

  @Test
  void theStockModelsBlindSpotIsPositive() {
    assertThat(net("Shares surged 12% after record quarterly revenue."), greaterThan(1.0));
  }

  @Test
  void analystActionsAndEstimates() {
    assertThat(net("The company beat estimates for the third quarter."), greaterThan(1.0));
    assertThat(net("Analysts downgraded the stock to sell."), lessThan(-1.0));
    assertThat(net("Revenue missed expectations and the group issued a profit warning."), lessThan(-2.0));
  }

  @Test
  void negationInvertsTheNextWords() {
    assertThat(net("The company did not beat estimates."), lessThan(0.0));
    assertThat(net("Sales have not declined."), greaterThan(0.0));
  }

  @Test
  void aRiseOfACostIsBadAndItsFallGood() {
    assertThat(net("Operating loss increased to EUR 5 mn from EUR 2 mn."), lessThan(-1.0));
    assertThat(net("Net loss narrowed to EUR 1.2 mn from EUR 3.4 mn."), greaterThan(0.0));
    assertThat(net("Costs fell sharply."), greaterThan(0.0));
  }

  @Test
  void signedPercentagesAndComparedAmounts() {
    assertThat(net("AAPL +12% premarket"), greaterThan(0.0));
    assertThat(net("TSLA -3.5 % premarket"), lessThan(0.0));
    assertThat(net("Operating profit was EUR 9.8 mn , compared to EUR 11.7 mn a year earlier."), lessThan(0.0));
    assertThat(net("Net sales totalled EUR 52.3 mn ( EUR 47.1 mn )."), greaterThan(0.0));
    // Years are not amounts.
    assertThat(FinanceLexicon.evidence("The plant moved in 2008 from 2007 plans.").hits(), is(0));
  }

  @Test
  void amountsAreComparedInTheirUnitsAndALossReadByADirectionIsNotCountedTwice() {
    // 415 thousand against 7.4 million: the loss shrank.
    FinanceLexicon.Evidence e = FinanceLexicon.evidence("The net loss narrowed to EUR 415,000 from EUR 7.4 million.");
    assertThat(e.negative(), is(0.0));
    assertThat(e.positive(), greaterThan(1.0));
    assertThat(net("Net loss widened to EUR 3.2 mn."), is(-1.0));
    assertThat(net("The program reduces fuel costs."), greaterThan(0.0));
  }

  @Test
  void changesOfShareCapitalOrStakesAreNeutral() {
    assertThat(FinanceLexicon.evidence("Following the increase, the share capital totals EUR 64 mn.").hits(), is(0));
    assertThat(FinanceLexicon.evidence("Grimaldi has increased its stake in Finnlines.").hits(), is(0));
  }

  @Test
  void plainFactsHaveNoEvidence() {
    assertThat(FinanceLexicon.evidence("The company is headquartered in Helsinki.").hits(), is(0));
  }
}

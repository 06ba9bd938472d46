package io.tributary.transforms.sentiment;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FinanceFeaturesTest {
  private static FinanceFeatures.Vector grammar(String text) {
    return FinanceFeatures.of(text, EnumSet.of(FinanceFeatures.Group.GRAMMAR));
  }

  /** Headline grammar: +1 for a positive reading, -1 for a negative one, 0 for neither. */
  @ParameterizedTest(name = "{1}: {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Twitter tops user, sales expectations for 4Q|1",
        "$STML: Alliance Global Partners starts at Buy|1",
        "Wells Fargo upgrades Marriott to overweight|1",
        "$WRI: Compass Point ups to Buy|1",
        "Goldman raises price target on Nvidia to $500|1",
        "Acme raises full-year guidance|1",
        "Net profit up 37% to EUR 12 mn|1",
        "Torrent Pharma Q4 net dips 27.56% to Rs 42.84 crore|-1",
        "Becton Dickinson downgraded to outperform from strong buy at Raymond James|-1",
        "$VIAC: Barrington Research cuts to Mkt Perform|-1",
        "Citi cuts price target on Nu Skin|-1",
        "Retailer slashes its outlook for the year|-1",
        "The company did not meet expectations|-1",
        "Acme misses on revenue|-1",
        "Net loss up 40% to EUR 3 mn|-1",
        "Costs down 12% in the quarter|1",
        "Five reasons why investors should stay away from Infosys|-1",
        "Acme to present at the healthcare conference|0",
        "AMD launches 7nm GPU for workstations; shares +4%|1",
        "Lumber Liquidators' stock rallies after the CEO resigned|1",
        "$NOW gaps up through resistance|1",
        "TD Ameritrade Investor Movement Index hits seven-year low in March|-1",
        "Luminex shares slip after hours|-1",
        "Hedge Funds Are Dumping Ocwen Financial Corporation (OCN)|-1",
        "Insiders are buying Acme|1",
        "Stock Market Update: Netflix gains, Spotify falls|0",
      })
  void readsTheGrammarOfHeadlines(String text, int sign) {
    FinanceFeatures.Vector v = grammar(text);
    double net = v.get("g:pos") - v.get("g:neg");
    assertThat(text + " -> " + v, Math.signum(net), is((double) sign));
  }

  @Test
  void beatingAndMissingInOneTextIsMixedNotPositive() {
    FinanceFeatures.Vector v = grammar("Molina Healthcare EPS beats by $0.07, misses on revenue");
    assertThat(v.toString(), v.get("g:mixed"), is(1.0));
    assertThat(v.toString(), v.get("g:pos"), is(v.get("g:neg")));
  }

  @Test
  void aRoundUpOfUpgradesAndDowngradesIsNeither() {
    FinanceFeatures.Vector v = grammar("Benzinga's Top Upgrades, Downgrades For December 17, 2019");
    assertThat(v.toString(), v.get("g:pos") + v.get("g:neg"), is(0.0));
    assertThat(v.toString(), v.get("g:mixed"), is(1.0));
  }

  @Test
  void questionsAndHedgesWeakenTheEvidence() {
    FinanceFeatures.Vector statement = FinanceFeatures.of("Apple is a good stock to buy.");
    FinanceFeatures.Vector question = FinanceFeatures.of("Is Apple a good stock to buy?");
    FinanceFeatures.Vector hedged = FinanceFeatures.of("Apple may be a good stock to buy.");
    assertThat(question.get("g:question"), is(1.0));
    assertThat(question.toString(), question.get("g:all_pos"), lessThan(statement.get("g:all_pos") / 2));
    assertThat(hedged.get("g:hedge"), is(1.0));
    assertThat(hedged.toString(), hedged.get("g:all_pos"), lessThan(statement.get("g:all_pos")));
  }

  @Test
  void monetaryPolicyWeakensTheEvidenceOfItsWords() {
    FinanceFeatures.Vector company = FinanceFeatures.of("Acme's reserves fall to a three-year low");
    FinanceFeatures.Vector policy = FinanceFeatures.of("The central bank's reserves fall to a three-year low");
    assertThat(company.toString(), company.get("g:all_neg"), greaterThan(0.0));
    assertThat(company.get("g:policy"), is(0.0));
    assertThat(policy.get("g:policy"), is(1.0));
    assertThat(policy.toString(), policy.get("g:all_neg"), lessThan(company.get("g:all_neg") / 2));
  }

  @Test
  void theFinanceWordListIsLoadedWithItsValences() {
    assertThat(FinanceFeatures.AFINN.size(), greaterThan(3500));
    assertThat(FinanceFeatures.AFINN.get("bankruptcy"), is(-3));
    assertThat(FinanceFeatures.AFINN.get("raises"), is(1));
    FinanceFeatures.Vector v = FinanceFeatures.of("Bankruptcy", EnumSet.of(FinanceFeatures.Group.AFINN));
    assertThat(v.get("afinn:neg"), is(1.0));
    assertThat(FinanceFeatures.of("Not a bankruptcy", EnumSet.of(FinanceFeatures.Group.AFINN)).get("afinn:pos"), is(1.0));
  }

  @Test
  void wordsFoldTickersFiguresAndLinksAndMarkNegation() {
    FinanceFeatures.Vector v =
        FinanceFeatures.of("$AAPL - Apple did not rise 5% https://t.co/x", EnumSet.of(FinanceFeatures.Group.WORDS));
    List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      names.add(v.name(i));
    }
    assertThat(names.toString(), names.contains("w:<ticker>"), is(true));
    assertThat(names.toString(), names.contains("w:not_rise"), is(true));
    assertThat(names.toString(), names.contains("w:not_<pct>"), is(true));
    assertThat(names.toString(), names.contains("w:did_not"), is(true));
    assertThat(names.toString(), names.stream().anyMatch(n -> n.contains("t.co") || n.contains("https")), is(false));
  }

  @Test
  void categoriesCountUncertaintyLitigationAndConstraints() {
    FinanceFeatures.Vector v =
        FinanceFeatures.of("Regulators may fine the bank after the lawsuit; it must comply", EnumSet.of(FinanceFeatures.Group.CATEGORIES));
    assertThat(v.get("cat:uncertainty"), is(1.0));
    assertThat(v.get("cat:litigation"), is(3.0));
    assertThat(v.get("cat:constraining"), is(2.0));
  }

  @Test
  void onlyKeepsTheGroupsAskedForAndTheBias() {
    FinanceFeatures.Vector all = FinanceFeatures.of("Acme beats estimates and raises guidance");
    FinanceFeatures.Vector rules = all.only(EnumSet.of(FinanceFeatures.Group.RULES));
    for (int i = 0; i < rules.size(); i++) {
      assertThat(rules.name(i), rules.name(i).equals("bias") || rules.name(i).startsWith("rules:"), is(true));
    }
    assertThat(rules.get("rules:pos"), is(all.get("rules:pos")));
  }

  @Test
  void groupNamesAreCheckedAndNamedInErrors() {
    assertThat(FinanceFeatures.Group.parse("rules, grammar"), is(EnumSet.of(FinanceFeatures.Group.RULES, FinanceFeatures.Group.GRAMMAR)));
    assertThat(FinanceFeatures.Group.parse("all"), is(EnumSet.allOf(FinanceFeatures.Group.class)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FinanceFeatures.Group.parse("rules,bert"));
    assertThat(e.getMessage(), containsString("'bert'"));
    assertThat(assertThrows(IllegalArgumentException.class, () -> FinanceFeatures.Group.of("x:y")).getMessage(), containsString("'x:y'"));
  }
}

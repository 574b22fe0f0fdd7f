/// The rules of the autolearn tests (CLI and daemon): spam scores 7.5, 3
/// points from a header rule and 4.5 from a body rule, over a spam
/// autolearn threshold of 6; a one-point rule for messages autolearn
/// leaves alone. Lines to append to a configuration.
public enum AutolearnFixture {
    public static let rules = """
        bayes_auto_learn_threshold_spam 6
        header AL_HEAD Subject =~ /pills/
        score  AL_HEAD 3
        body   AL_BODY /viagra/
        score  AL_BODY 4.5
        body   AL_MEH  /perhaps/
        score  AL_MEH  1

        """
}

namespace SelfLong.Tests.Evaluation;

/// <summary>
/// lm-evaluation-harness results files in the harness's own format (0.4: "metric,filter" keys,
/// "N/A" standard errors, indented group aliases, the groups repeated under "groups", and the
/// higher_is_better, n-shot, n-samples, config and date fields), with the paper's IFEval figures
/// for a base model (77.4) and its long-context checkpoint (65.9).
/// </summary>
internal static class LmEvalFixtures
{
    public static string Results(string model, double ifevalStrict, double bbh, double perplexity, double date) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
        {
          "results": {
            "leaderboard": {
              "acc_norm,none": {{bbh}},
              "acc_norm_stderr,none": 0.0057,
              "prompt_level_strict_acc,none": {{ifevalStrict}},
              "prompt_level_strict_acc_stderr,none": 0.018,
              "alias": "leaderboard"
            },
            "leaderboard_bbh": {
              "acc_norm,none": {{bbh}},
              "acc_norm_stderr,none": 0.0057,
              "alias": " - leaderboard_bbh"
            },
            "leaderboard_ifeval": {
              "prompt_level_strict_acc,none": {{ifevalStrict}},
              "prompt_level_strict_acc_stderr,none": 0.018,
              "inst_level_strict_acc,none": 0.84,
              "inst_level_strict_acc_stderr,none": "N/A",
              "alias": " - leaderboard_ifeval"
            },
            "wikitext": {
              "word_perplexity,none": {{perplexity}},
              "word_perplexity_stderr,none": "N/A",
              "alias": "wikitext"
            }
          },
          "groups": {
            "leaderboard": {
              "acc_norm,none": {{bbh}},
              "acc_norm_stderr,none": 0.0057,
              "prompt_level_strict_acc,none": {{ifevalStrict}},
              "prompt_level_strict_acc_stderr,none": 0.018,
              "alias": "leaderboard"
            }
          },
          "group_subtasks": { "leaderboard": ["leaderboard_ifeval", "leaderboard_bbh"], "wikitext": [] },
          "configs": { "leaderboard_ifeval": { "task": "leaderboard_ifeval", "num_fewshot": 0 } },
          "versions": { "leaderboard_bbh": 0.0, "leaderboard_ifeval": 3.0, "wikitext": 2.0 },
          "n-shot": { "leaderboard_bbh": 3, "leaderboard_ifeval": 0, "wikitext": 0 },
          "higher_is_better": {
            "leaderboard_bbh": { "acc_norm": true },
            "leaderboard_ifeval": { "prompt_level_strict_acc": true, "inst_level_strict_acc": true },
            "wikitext": { "word_perplexity": false }
          },
          "n-samples": {
            "leaderboard_ifeval": { "original": 541, "effective": 541 },
            "leaderboard_bbh": { "original": 5761, "effective": 5761 }
          },
          "config": {
            "model": "hf",
            "model_args": "pretrained={{model}},dtype=bfloat16",
            "batch_size": "auto",
            "device": "cuda:0"
          },
          "git_hash": "a1b2c3d",
          "date": {{date}},
          "model_source": "hf",
          "model_name": "{{model}}",
          "model_name_sanitized": "{{model.Replace("/", "__")}}"
        }
        """);

    /// <summary>A file from harness versions before 0.4: "acc" and "acc_stderr" keys without filters.</summary>
    public const string Legacy = """
        {
          "results": { "hellaswag": { "acc": 0.57, "acc_stderr": 0.0049, "acc_norm": 0.75, "acc_norm_stderr": 0.0043 } },
          "versions": { "hellaswag": 0 },
          "config": { "model": "hf-causal", "model_args": "pretrained=old/model", "num_fewshot": 10 }
        }
        """;
}

namespace SelfLong.Jobs.Evaluation.Ruler;

public enum RulerFamily { Niah, VariableTracking, CommonWords, FrequentWords, Qa }

public enum NiahHaystack { Noise, Essay, Needle }

public enum NiahItem { Words, Numbers, Uuids }

/// <summary>Needle settings of one niah variant (RULER synthetic.yaml).</summary>
public sealed record NiahSpec(NiahHaystack Haystack, NiahItem KeyType, NiahItem ValueType, int Keys, int Values, int Queries)
{
    /// <summary>RULER plants max(keys, queries) keys: with 4 queries, 4 keys are planted and 4 asked.</summary>
    public int PlantedKeys => Math.Max(Keys, Queries);
}

public enum QaDatasetKind { Squad, HotpotQa }

/// <summary>
/// The thirteen named RULER tasks (NVIDIA/RULER synthetic.yaml) in one table, with each family's
/// generation budget and metric.
/// </summary>
public sealed record RulerTask(string Name, RulerFamily Family, NiahSpec? Niah = null, QaDatasetKind? Qa = null)
{
    public static readonly IReadOnlyList<RulerTask> All =
    [
        new("niah_single_1", RulerFamily.Niah, new(NiahHaystack.Noise, NiahItem.Words, NiahItem.Numbers, 1, 1, 1)),
        new("niah_single_2", RulerFamily.Niah, new(NiahHaystack.Essay, NiahItem.Words, NiahItem.Numbers, 1, 1, 1)),
        new("niah_single_3", RulerFamily.Niah, new(NiahHaystack.Essay, NiahItem.Words, NiahItem.Uuids, 1, 1, 1)),
        new("niah_multikey_1", RulerFamily.Niah, new(NiahHaystack.Essay, NiahItem.Words, NiahItem.Numbers, 4, 1, 1)),
        new("niah_multikey_2", RulerFamily.Niah, new(NiahHaystack.Needle, NiahItem.Words, NiahItem.Numbers, 1, 1, 1)),
        new("niah_multikey_3", RulerFamily.Niah, new(NiahHaystack.Needle, NiahItem.Uuids, NiahItem.Uuids, 1, 1, 1)),
        new("niah_multivalue", RulerFamily.Niah, new(NiahHaystack.Essay, NiahItem.Words, NiahItem.Numbers, 1, 4, 1)),
        new("niah_multiquery", RulerFamily.Niah, new(NiahHaystack.Essay, NiahItem.Words, NiahItem.Numbers, 1, 1, 4)),
        new("vt", RulerFamily.VariableTracking),
        new("cwe", RulerFamily.CommonWords),
        new("fwe", RulerFamily.FrequentWords),
        new("qa_1", RulerFamily.Qa, Qa: QaDatasetKind.Squad),
        new("qa_2", RulerFamily.Qa, Qa: QaDatasetKind.HotpotQa),
    ];

    /// <summary>RULER's default lengths: 4k to 128k.</summary>
    public static readonly IReadOnlyList<int> DefaultLengths = [4096, 8192, 16384, 32768, 65536, 131072];

    public const int DefaultSamples = 500;

    public static RulerTask Find(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new ArgumentException($"Unknown RULER task '{name}'. Known: {string.Join(", ", All.Select(t => t.Name))}.");

    /// <summary>tokens_to_generate per family (RULER synthetic.yaml).</summary>
    public int TokensToGenerate => Family switch
    {
        RulerFamily.Niah => 128,
        RulerFamily.VariableTracking => 30,
        RulerFamily.CommonWords => 120,
        RulerFamily.FrequentWords => 50,
        _ => 32,
    };

    public RulerMetric Metric => Family == RulerFamily.Qa ? RulerMetric.StringMatchPart : RulerMetric.StringMatchAll;
}

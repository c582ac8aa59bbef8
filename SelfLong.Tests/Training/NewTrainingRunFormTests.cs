using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Training;
using SelfLong.Web.Features.Evaluation;
using SelfLong.Web.Features.Training;

namespace SelfLong.Tests.Training;

/// <summary>The new-run and new-evaluation forms' state without a page: stage rows, the base, a checkpoint's prefill.</summary>
public sealed class NewTrainingRunFormTests
{
    [Fact]
    public void StageRows_PaperRuleAndAddStage_DoubleLengthAndQuadrupleTheta()
    {
        var form = new NewTrainingRunForm();
        form.Stages[0].MaxLength = 1024;
        form.Stages[0].RopeTheta = 500_000;
        form.ApplyPaperRule();
        Assert.Equal([(1024, 500_000d), (2048, 2_000_000d)], form.Stages.Select(s => (s.MaxLength, s.RopeTheta)));

        form.AddStage();
        Assert.Equal((4096, 8_000_000d), (form.Stages[^1].MaxLength, form.Stages[^1].RopeTheta));
        // Steps and learning rate carry over from the stage before.
        Assert.All(form.Stages, s => Assert.Equal((200, 1e-3), (s.Steps, s.LearningRate)));
    }

    [Fact]
    public void PreviewSpec_TakesTheBaseAsChosenAndTheBatch()
    {
        var form = new NewTrainingRunForm
        {
            Checkpoints = [new TrainingCheckpointChoice(7, "run a, stage 1, step 10", "/runs/a/stage-1/step-10")],
            BatchSize = 2,
            Accumulation = 8,
        };
        Assert.Equal(TrainingRunSpec.TinyBase, form.PreviewSpec().Base);

        form.BaseKind = NewTrainingRunForm.CheckpointKind;
        Assert.Equal("", form.BaseFolder());
        form.CheckpointId = 7;
        Assert.Equal("/runs/a/stage-1/step-10", form.PreviewSpec().Base);

        form.BaseKind = NewTrainingRunForm.FolderKind;
        form.CheckpointFolder = "  /models/llama-3.2-1b \n";
        var spec = form.PreviewSpec();
        Assert.Equal("/models/llama-3.2-1b", spec.Base);
        Assert.Equal((2, 8), (spec.Options.BatchSize, spec.Options.GradientAccumulation));
        Assert.Equal([new TrainingStage(128, 10_000, 200, 1e-3)], spec.Stages);
    }

    [Fact]
    public void EvaluationFields_FromACheckpoint_TargetItLocallyInItsTokenizer()
    {
        var fields = new NewEvaluationFields();
        Assert.False(fields.Local);
        fields.Apply(new EvaluationPrefill(EvaluationKind.Ruler, "/runs/a/stage-2/step-40", 4096, "/runs/a/stage-2/step-40", "a stage 2 step 40 Ruler"));

        Assert.True(fields.Local);
        Assert.Equal(EvaluationTargetKind.LocalCheckpoint, fields.TargetKind);
        Assert.Equal(("/runs/a/stage-2/step-40", 4096, 8192, "4096, 8192"), (fields.Location, fields.TrainingLength, fields.MaxLength, fields.Lengths));
        Assert.Equal("/runs/a/stage-2/step-40", fields.Tokenizer);
        Assert.Equal("Lengths", fields.LengthsLabel);
    }
}

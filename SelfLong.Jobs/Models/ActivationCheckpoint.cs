using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace SelfLong.Jobs.Models;

/// <summary>
/// Activation checkpointing (Chen et al., 2016; torch.utils.checkpoint): the forward runs without
/// keeping its intermediate tensors and only the input is saved; backward runs the same function
/// again with gradients on and back-propagates through that recomputation. Parameters used by the
/// function receive their gradients from that inner backward, as in PyTorch's reentrant variant.
/// The function must be deterministic (Llama has no dropout).
/// </summary>
public sealed class ActivationCheckpoint : SingleTensorFunction<ActivationCheckpoint>
{
    private const string FunctionKey = "function";

    public override string Name => nameof(ActivationCheckpoint);

    /// <summary>
    /// <paramref name="function"/>(<paramref name="input"/>), keeping only the input for backward.
    /// Without gradients (evaluation) it is a plain call.
    /// </summary>
    public static Tensor Run(Tensor input, Func<Tensor, Tensor> function) =>
        is_grad_enabled() && input.requires_grad ? apply(input, function) : function(input);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var function = (Func<Tensor, Tensor>)vars[1];
        ctx.save_for_backward([input]);
        ctx.save_data(FunctionKey, function);
        return function(input);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        HandedBackGradients.Release();
        var function = (Func<Tensor, Tensor>)ctx.get_data(FunctionKey);
        Tensor inputGrad;
        using (var scope = NewDisposeScope())
        using (enable_grad())
        {
            var input = ctx.get_saved_variables()[0].detach().requires_grad_(true);
            var output = function(input);
            output.backward([gradOutput]);
            inputGrad = input.grad!.detach().MoveToOuterDisposeScope();
        }
        return [HandedBackGradients.Hand(inputGrad), null!];
    }
}

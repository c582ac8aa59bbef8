using System.Diagnostics;
using System.Text.Json;

namespace SelfLong.Jobs.Training;

/// <summary>
/// The same SelfLong-Tiny model and training step written in PyTorch, run by the system's
/// python3 in the same benchmark so the ratio compares like with like on this machine. Returns
/// null (with the reason) when python3 or torch is missing.
/// </summary>
public static class PyTorchPeer
{
    public static (Dictionary<string, double>? Throughput, string Note) Run(int steps, int threads, int[] lengths)
    {
        var script = Path.Combine(Path.GetTempPath(), $"selflong-bench-peer-{Environment.ProcessId}.py");
        File.WriteAllText(script, Script);
        try
        {
            // Debian's python3-torch lives in the system interpreter, which a user-level python3 may shadow.
            var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { script, steps.ToString(), threads.ToString(), string.Join(",", lengths) }) start.ArgumentList.Add(arg);
            using var process = Process.Start(start);
            if (process is null) return (null, "python3 could not be started");
            var stdout = process.StandardOutput.ReadToEnd();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                return (null, $"python3 peer failed: {stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "no message"}");
            var result = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(stdout.Trim().Split('\n')[^1])!;
            var throughput = result.Where(p => p.Key.StartsWith("tokens_per_s_")).ToDictionary(p => p.Key, p => p.Value.GetDouble());
            return (throughput, $"PyTorch {result["torch"].GetString()} via python3, {threads} thread(s); its attention is explicit softmax (PyTorch < 2.0 has no SDPA)");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "python3 is not installed");
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>SelfLong-Tiny (vocab 264, d 128, 4 layers, 4 heads, 2 KV heads, SwiGLU 336, tied) and one AdamW step.</summary>
    private const string Script = """
        import json, math, sys, time
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        steps, threads, lengths = int(sys.argv[1]), int(sys.argv[2]), [int(x) for x in sys.argv[3].split(",")]
        torch.set_num_threads(threads)
        torch.manual_seed(1)
        V, D, L, H, KV, I, THETA, EPS = 264, 128, 4, 4, 2, 336, 10000.0, 1e-5
        HD = D // H

        class RMSNorm(nn.Module):
            def __init__(self):
                super().__init__(); self.weight = nn.Parameter(torch.ones(D))
            def forward(self, x):
                return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

        def rotate_half(x):
            x1, x2 = x[..., : HD // 2], x[..., HD // 2 :]
            return torch.cat((-x2, x1), dim=-1)

        class Layer(nn.Module):
            def __init__(self):
                super().__init__()
                self.q_proj = nn.Linear(D, H * HD, bias=False); self.k_proj = nn.Linear(D, KV * HD, bias=False)
                self.v_proj = nn.Linear(D, KV * HD, bias=False); self.o_proj = nn.Linear(H * HD, D, bias=False)
                self.gate_proj = nn.Linear(D, I, bias=False); self.up_proj = nn.Linear(D, I, bias=False)
                self.down_proj = nn.Linear(I, D, bias=False)
                self.input_layernorm = RMSNorm(); self.post_attention_layernorm = RMSNorm()
            def forward(self, x, cos, sin, mask):
                B, T, _ = x.shape
                h = self.input_layernorm(x)
                q = self.q_proj(h).view(B, T, H, HD).transpose(1, 2)
                k = self.k_proj(h).view(B, T, KV, HD).transpose(1, 2)
                v = self.v_proj(h).view(B, T, KV, HD).transpose(1, 2)
                q = q * cos + rotate_half(q) * sin; k = k * cos + rotate_half(k) * sin
                k = k.repeat_interleave(H // KV, dim=1); v = v.repeat_interleave(H // KV, dim=1)
                att = (q @ k.transpose(-2, -1)) / math.sqrt(HD)
                att = att.masked_fill(mask, float("-inf")).softmax(-1)
                y = (att @ v).transpose(1, 2).reshape(B, T, D)
                x = x + self.o_proj(y)
                h = self.post_attention_layernorm(x)
                return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))

        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed_tokens = nn.Embedding(V, D); self.layers = nn.ModuleList([Layer() for _ in range(L)]); self.norm = RMSNorm()
            def forward(self, ids):
                T = ids.shape[1]
                inv = 1.0 / (THETA ** (torch.arange(0, HD, 2).float() / HD))
                freqs = torch.outer(torch.arange(T).float(), inv); emb = torch.cat((freqs, freqs), -1)
                cos, sin = emb.cos(), emb.sin()
                mask = torch.ones(T, T, dtype=torch.bool).triu(1)
                x = self.embed_tokens(ids)
                for layer in self.layers: x = layer(x, cos, sin, mask)
                return self.norm(x) @ self.embed_tokens.weight.t()

        result = {"torch": torch.__version__}
        for T in lengths:
            model = Tiny()
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
            for step in range(steps + 1):
                if step == 1: start = time.perf_counter()
                ids = torch.randint(0, 256, (1, T + 1))
                logits = model(ids[:, :-1])
                loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
                loss.backward(); opt.step(); opt.zero_grad()
            result[f"tokens_per_s_{T}"] = steps * T / (time.perf_counter() - start)
        print(json.dumps(result))
        """;
}

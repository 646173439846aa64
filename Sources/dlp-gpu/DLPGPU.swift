// DLPGPU.swift: the `dlp-gpu` command: a thin layer of subcommands over the DLPLoRA library.
import ArgumentParser
import DLPLoRA

@main
struct DLPGPU: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlp-gpu",
        abstract: "Serve one Hugging Face base model with many LoRA adapters, fused per sentence (DLP-LoRA).",
        version: "dlp-gpu, kernel ABI \(KernelBackend.apiVersion)",
        subcommands: [GenerateCommand.self, ScoreCommand.self, TokenizeCommand.self, RouteCommand.self, TrainRouterCommand.self, EvalRouterCommand.self, EvalCommand.self, BenchCommand.self, InspectCommand.self, SelfTestCommand.self, TemplateCommand.self, ServeCommand.self])
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class LengthFollowingAndLmEval : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "length_following_outputs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    RequiredWords = table.Column<int>(type: "integer", nullable: false),
                    PromptIndex = table.Column<int>(type: "integer", nullable: false),
                    Prompt = table.Column<string>(type: "text", nullable: false),
                    Output = table.Column<string>(type: "text", nullable: false),
                    OutputWords = table.Column<int>(type: "integer", nullable: false),
                    OutputTokens = table.Column<int>(type: "integer", nullable: false),
                    MaxNewTokens = table.Column<int>(type: "integer", nullable: false),
                    DurationSeconds = table.Column<double>(type: "double precision", nullable: false),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_length_following_outputs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_length_following_outputs_evaluation_runs_RunId",
                        column: x => x.RunId,
                        principalTable: "evaluation_runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "lm_eval_scores",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    Task = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Metric = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Filter = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Value = table.Column<double>(type: "double precision", nullable: false),
                    Stderr = table.Column<double>(type: "double precision", nullable: true),
                    HigherIsBetter = table.Column<bool>(type: "boolean", nullable: true),
                    FewShot = table.Column<int>(type: "integer", nullable: true),
                    Samples = table.Column<int>(type: "integer", nullable: true),
                    SourceFile = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_lm_eval_scores", x => x.Id);
                    table.ForeignKey(
                        name: "FK_lm_eval_scores_evaluation_runs_RunId",
                        column: x => x.RunId,
                        principalTable: "evaluation_runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_length_following_outputs_RunId_RequiredWords_PromptIndex",
                table: "length_following_outputs",
                columns: new[] { "RunId", "RequiredWords", "PromptIndex" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_lm_eval_scores_RunId_Task_Metric_Filter",
                table: "lm_eval_scores",
                columns: new[] { "RunId", "Task", "Metric", "Filter" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "length_following_outputs");

            migrationBuilder.DropTable(
                name: "lm_eval_scores");
        }
    }
}

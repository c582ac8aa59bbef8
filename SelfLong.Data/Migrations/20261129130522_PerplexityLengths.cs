using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class PerplexityLengths : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "perplexity_lengths",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    RunId = table.Column<long>(type: "bigint", nullable: false),
                    ContextLength = table.Column<int>(type: "integer", nullable: false),
                    Windows = table.Column<int>(type: "integer", nullable: false),
                    Tokens = table.Column<int>(type: "integer", nullable: false),
                    MeanNll = table.Column<double>(type: "double precision", nullable: false),
                    BucketEnds = table.Column<List<int>>(type: "integer[]", nullable: false),
                    BucketMeanNlls = table.Column<List<double>>(type: "double precision[]", nullable: false),
                    DurationSeconds = table.Column<double>(type: "double precision", nullable: false),
                    CompletedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_perplexity_lengths", x => x.Id);
                    table.ForeignKey(
                        name: "FK_perplexity_lengths_evaluation_runs_RunId",
                        column: x => x.RunId,
                        principalTable: "evaluation_runs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_perplexity_lengths_RunId_ContextLength",
                table: "perplexity_lengths",
                columns: new[] { "RunId", "ContextLength" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "perplexity_lengths");
        }
    }
}

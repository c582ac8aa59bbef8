using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <inheritdoc />
    public partial class EvaluationTargetEndpoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "EndpointId",
                table: "evaluation_runs",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_evaluation_runs_EndpointId",
                table: "evaluation_runs",
                column: "EndpointId");

            migrationBuilder.AddForeignKey(
                name: "FK_evaluation_runs_model_endpoints_EndpointId",
                table: "evaluation_runs",
                column: "EndpointId",
                principalTable: "model_endpoints",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_evaluation_runs_model_endpoints_EndpointId",
                table: "evaluation_runs");

            migrationBuilder.DropIndex(
                name: "IX_evaluation_runs_EndpointId",
                table: "evaluation_runs");

            migrationBuilder.DropColumn(
                name: "EndpointId",
                table: "evaluation_runs");
        }
    }
}

using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <summary>
    /// A NIAH cell keeps the parts of its prompt a reader checks (around the needle, the end with the
    /// question), so the heatmap's cell drawer shows what the model saw without rebuilding the prompt
    /// with the target's tokenizer. Cells scored earlier keep only their prompt hash.
    /// </summary>
    [DbContext(typeof(SelfLongDbContext))]
    [Migration("20261203153000_NiahCellExcerpts")]
    public partial class NiahCellExcerpts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(name: "NeedleExcerpt", table: "niah_cells", type: "text", nullable: true);
            migrationBuilder.AddColumn<string>(name: "PromptEnd", table: "niah_cells", type: "text", nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(name: "NeedleExcerpt", table: "niah_cells");
            migrationBuilder.DropColumn(name: "PromptEnd", table: "niah_cells");
        }
    }
}

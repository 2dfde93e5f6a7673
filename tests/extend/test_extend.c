/* Which cells the extra rounds choose (harness/extend.c, extend_pick), on
 * made-up cells whose widths and costs give known answers. */
#include "../check.h"
#include "../../harness/extend.h"

#include <math.h>
#include <stdbool.h>

/* One case, three backends: a run whose only knobs extend_pick reads. */
static struct run_meta meta(int max_reps)
{
    return (struct run_meta){.case_count = 1, .max_reps = max_reps};
}

/* A cell with `rounds` rounds, `width` percent wide against 3%, whose
 * process takes cost_s. */
static struct extend_cell cell(double width, size_t rounds, double cost_s)
{
    return (struct extend_cell){.wide = width > 3 || isnan(width), .width = width, .target = 3,
                                .rounds = rounds, .cost_s = cost_s};
}

static const double base_cost[] = {0.1};

static void cheapest_route_to_the_target_goes_first(void)
{
    struct run_meta m = meta(25);
    /* 6% over 5 rounds needs 20 in all: 15 more at 0.2 s = 3 s; 4% needs
     * 9: 4 more at 1.1 s = 4.4 s */
    struct extend_cell cells[] = {cell(6, 5, 0.1), cell(4, 5, 1.0), cell(NAN, 0, 0)};
    cells[2].wide = false; /* the baseline */
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 4, pick) == 1);
    CHECK(pick[0] && !pick[1] && !pick[2]);
}

static void every_route_the_budget_pays_is_taken(void)
{
    struct run_meta m = meta(25);
    struct extend_cell cells[] = {cell(6, 5, 0.1), cell(4, 5, 1.0), cell(2, 5, 0.1)};
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 10, pick) == 2);
    CHECK(pick[0] && pick[1] && !pick[2]);
}

static void without_a_whole_route_the_cheapest_round_goes(void)
{
    struct run_meta m = meta(25);
    struct extend_cell cells[] = {cell(6, 5, 0.5), cell(9, 5, 0.2), cell(2, 5, 0.1)};
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 0.5, pick) == 1);
    CHECK(!pick[0] && pick[1] && !pick[2]);
}

static void nothing_is_picked_when_no_round_fits(void)
{
    struct run_meta m = meta(25);
    struct extend_cell cells[] = {cell(6, 5, 0.5), cell(9, 5, 0.2), cell(2, 5, 0.1)};
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 0.2, pick) == 0);
    CHECK(!pick[0] && !pick[1] && !pick[2]);
}

static void a_cell_at_max_reps_is_not_picked(void)
{
    struct run_meta m = meta(5);
    struct extend_cell cells[] = {cell(6, 5, 0.1), cell(6, 4, 0.1), cell(2, 5, 0.1)};
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 100, pick) == 1);
    CHECK(!pick[0] && pick[1]);
}

static void a_route_ends_at_max_reps(void)
{
    /* 30% wide needs 500 rounds; capped at 10: 5 more at 0.2 s = 1 s */
    struct run_meta m = meta(10);
    struct extend_cell cells[] = {cell(30, 5, 0.1), cell(2, 5, 0.1), cell(2, 5, 0.1)};
    bool pick[3];
    CHECK(extend_pick(&m, 3, cells, base_cost, 1.0, pick) == 1);
    CHECK(pick[0]);
}

CHECK_MAIN(10, T(cheapest_route_to_the_target_goes_first), T(every_route_the_budget_pays_is_taken),
           T(without_a_whole_route_the_cheapest_round_goes),
           T(nothing_is_picked_when_no_round_fits), T(a_cell_at_max_reps_is_not_picked),
           T(a_route_ends_at_max_reps))

"""A small builder for mixed-integer programmes solved with HiGHS (highspy).

Columns carry their monthly cost split into named components, so a solution can be priced
component by component without a second cost model. The solver runs with a wall-clock limit;
when it stops there with a feasible incumbent, the incumbent and the relative optimality gap
are returned (HiGHS's `mip_gap`: |primal - dual bound| / |primal|).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
INF = highspy.kHighsInf

#: Cost components, in this order, of every column's cost vector.
COMPONENTS: tuple[str, ...] = ("compute", "power", "hosting", "staff", "overhead", "api")


def quiet_solver(mip_rel_gap: float, time_limit_s: float) -> highspy.Highs:
    """A HiGHS instance for one request's programme: silent, on one thread (requests run in
    parallel in workers, and HiGHS's own worker threads spin-wait, so concurrent solves in one
    process would burn each other's CPU), with the given gap and time limit."""
    solver = highspy.Highs()  # type: ignore[no-untyped-call]
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)
    solver.setOptionValue("mip_rel_gap", mip_rel_gap)
    solver.setOptionValue("time_limit", time_limit_s)
    return solver


@dataclass(slots=True)
class Solution:
    """Outcome of one solve: `status` is optimal, time_limit (incumbent) or infeasible."""

    status: str
    values: FloatArray
    objective_usd: float
    mip_gap: float
    solve_time_s: float


@dataclass(slots=True)
class MilpBuilder:
    """Columns with component costs and bounds, and sparse rows lower <= a.x <= upper."""

    costs: list[tuple[float, ...]] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=lambda: [0])
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def column(
        self,
        *,
        integer: bool = False,
        upper: float = INF,
        **component_usd: float,
    ) -> int:
        """Add a column >= 0 with a monthly cost per unit by component; returns its index."""
        self.costs.append(tuple(component_usd.get(name, 0.0) for name in COMPONENTS))
        self.lower.append(0.0)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.costs) - 1

    def row(self, coefficients: dict[int, float], lower: float = -INF, upper: float = INF) -> None:
        """Add the constraint lower <= sum(coefficient x column) <= upper."""
        for col, coefficient in coefficients.items():
            if coefficient != 0.0:
                self.index.append(col)
                self.value.append(coefficient)
        self.starts.append(len(self.index))
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def component_matrix(self) -> FloatArray:
        """Cost per unit of every column, one column per entry of COMPONENTS (USD/month)."""
        return np.asarray(self.costs, dtype=np.float64).reshape(len(self.costs), len(COMPONENTS))

    def solve(self, *, time_limit_s: float, mip_rel_gap: float) -> Solution:
        """Minimise the total cost with HiGHS within `time_limit_s`."""
        num_col, num_row = len(self.costs), len(self.row_lower)
        lp = highspy.HighsLp()
        lp.num_col_ = num_col
        lp.num_row_ = num_row
        lp.col_cost_ = self.component_matrix().sum(axis=1)
        lp.col_lower_ = np.asarray(self.lower)
        lp.col_upper_ = np.asarray(self.upper)
        lp.row_lower_ = np.asarray(self.row_lower)
        lp.row_upper_ = np.asarray(self.row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = num_col
        lp.a_matrix_.num_row_ = num_row
        lp.a_matrix_.start_ = np.asarray(self.starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(self.value, dtype=np.float64)
        kinds = highspy.HighsVarType
        lp.integrality_ = [kinds.kInteger if i else kinds.kContinuous for i in self.integer]
        solver = quiet_solver(mip_rel_gap, time_limit_s)
        solver.passModel(lp)
        solver.run()
        status = solver.getModelStatus()
        info = solver.getInfo()
        has_incumbent = (
            info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        )
        statuses = highspy.HighsModelStatus
        if status == statuses.kOptimal:
            name = "optimal"
        elif has_incumbent and status in (statuses.kTimeLimit, statuses.kInterrupt):
            name = "time_limit"
        elif status in (statuses.kInfeasible, statuses.kUnboundedOrInfeasible):
            name = "infeasible"
        else:
            name = "time_limit_no_solution" if status == statuses.kTimeLimit else str(status)
        if name not in ("optimal", "time_limit"):
            return Solution(
                name, np.zeros(num_col), float("inf"), float("inf"), solver.getRunTime()
            )
        values = np.asarray(solver.getSolution().col_value, dtype=np.float64)
        gap = float(info.mip_gap)
        if name == "optimal" and not (np.isfinite(gap) and gap >= 0.0):
            gap = 0.0  # a pure LP reports no MIP gap
        return Solution(
            name, values, float(info.objective_function_value), gap, solver.getRunTime()
        )

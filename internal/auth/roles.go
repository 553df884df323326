package auth

import "github.com/kefu-project/kefu/internal/kefu"

// DefaultRoles are the roles every new tenant starts with. They are data:
// admins change them or add others through the API.
func DefaultRoles() []kefu.Role {
	read := []kefu.Permission{kefu.PermTicketsRead, kefu.PermCustomersRead}
	agent := append(read, kefu.PermTicketsWrite, kefu.PermCustomersWrite, kefu.PermCommitmentsWrite, kefu.PermActionsRequest, kefu.PermTicketsForward)
	lead := append(append([]kefu.Permission{}, agent...), kefu.PermTicketsAssign, kefu.PermCustomersMerge, kefu.PermApprovalsDecide)
	supervisor := append(append([]kefu.Permission{}, lead...), kefu.PermAuditRead, kefu.PermStaffingRead, kefu.PermStaffingWrite)
	// What an agent takes at once unless their own profile says otherwise.
	agentCapacity := map[string]int{"chat": 3, "app": 3, "phone": 1, "email": 10, "form": 10, "ticket": 10}
	return []kefu.Role{
		{Name: "admin", Permissions: kefu.AllPermissions, Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionRefund: {MaxAmount: 10_000_000}, kefu.ActionCompensate: {MaxAmount: 10_000_000},
			kefu.ActionSuspendAccount: {}, kefu.ActionRestrictDriver: {}, kefu.ActionSplitOrder: {}, kefu.ActionExpedite: {}, kefu.ActionShareLocation: {}, kefu.ActionRestrictParty: {}}},
		{Name: "agent", Permissions: agent, Capacity: agentCapacity, Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionRefund: {MaxAmount: 20000}, kefu.ActionCompensate: {MaxAmount: 5000}, kefu.ActionSplitOrder: {}}},
		{Name: "vendor_agent", Permissions: agent, Capacity: agentCapacity, Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionCompensate: {MaxAmount: 2000}}},
		{Name: "team_lead", Permissions: lead, Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionRefund: {MaxAmount: 100000}, kefu.ActionCompensate: {MaxAmount: 50000}, kefu.ActionSplitOrder: {},
			kefu.ActionRestrictDriver: {}, kefu.ActionExpedite: {}}},
		{Name: "supervisor", Permissions: supervisor, Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionRefund: {MaxAmount: 500000}, kefu.ActionCompensate: {MaxAmount: 200000}, kefu.ActionSplitOrder: {},
			kefu.ActionRestrictDriver: {}, kefu.ActionSuspendAccount: {}, kefu.ActionExpedite: {}, kefu.ActionShareLocation: {}, kefu.ActionRestrictParty: {}}},
		{Name: "department", Permissions: []kefu.Permission{kefu.PermTicketsRead, kefu.PermTicketsWrite, kefu.PermCustomersRead, kefu.PermCommitmentsWrite}},
		{Name: "safety", Permissions: append([]kefu.Permission{}, lead...), Limits: map[kefu.Action]kefu.Limit{
			kefu.ActionRestrictDriver: {}, kefu.ActionSuspendAccount: {}, kefu.ActionCompensate: {MaxAmount: 100000}, kefu.ActionExpedite: {},
			kefu.ActionShareLocation: {}, kefu.ActionRestrictParty: {}}},
	}
}

// DefaultTiers are the customer value tiers a new tenant starts with.
func DefaultTiers() []kefu.CustomerTier {
	return []kefu.CustomerTier{{Code: "ka", Name: "KA", Rank: 1}, {Code: "vip", Name: "VIP", Rank: 2}, {Code: "standard", Name: "Standard", Rank: 9}}
}

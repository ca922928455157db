"""AWS CDK app of the referral program: one construct per concern, composed in ``stack.ReferralStack``."""
